"""Messages the services write in both languages are shown in the page's language only."""

from __future__ import annotations

from cityops.web.i18n import bilingual


def test_the_pages_half_of_a_two_language_message() -> None:
    message = "尚有必做步骤未完成或未说明跳过理由 / Mandatory steps are still pending"
    assert bilingual(message, 0) == "尚有必做步骤未完成或未说明跳过理由"
    assert bilingual(message, 1) == "Mandatory steps are still pending"


def test_other_text_is_shown_as_it_is() -> None:
    for text in ("防护网锚固合格 / 裂缝已封闭", "A / B", "已更换灯泡", "路灯 / ", ""):  # a note typed with a slash
        assert bilingual(text, 0) == text and bilingual(text, 1) == text
    assert bilingual(None, 0) == ""
