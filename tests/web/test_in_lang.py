"""The `in_lang` filter every page uses for a bilingual label ("中文 / English"): the page's half, and a
label that has no English half shown whole in English rather than failing the page."""

from cityops.web.pages import templates


def render(label: str, li: int) -> str:
    return templates.env.from_string("{{ label | in_lang(li) }}").render(label=label, li=li)


def test_each_language_gets_its_half() -> None:
    assert render("待签收 / To sign", 0) == "待签收"
    assert render("待签收 / To sign", 1) == "To sign"


def test_a_label_without_an_english_half_stays_whole() -> None:
    assert render("督办", 0) == "督办"
    assert render("督办", 1) == "督办"


def test_only_the_first_separator_splits_the_english_half() -> None:
    assert render("渣土 / Muck / spoil", 1) == "Muck / spoil"
