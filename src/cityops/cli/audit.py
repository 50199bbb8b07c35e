"""`cityops audit …`: the hash-chained audit log — publish a checkpoint, verify the chain."""

from __future__ import annotations

import typer

from cityops.cli.common import console, open_database
from cityops.core.settings import Settings

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("checkpoint")
def audit_checkpoint(sequence_now: bool = typer.Option(True, help="chain what is waiting first")) -> None:
    """Print the chain's latest checkpoint as SEQ:HASH, to copy somewhere this database cannot reach."""
    from cityops.core import audit
    from cityops.core.db import session_scope

    _, factory = open_database(Settings())
    with session_scope(factory) as s:
        if sequence_now:
            while audit.sequence(s):
                pass
    with session_scope(factory, write=False) as s:
        cp = audit.latest_checkpoint(s)
    if cp is None:
        console.print("no entries chained yet")
        raise typer.Exit(1)
    console.print(f"{cp.seq}:{cp.hash}  ({cp.at.isoformat()})")


@audit_app.command("verify")
def audit_verify(
    checkpoint: str = typer.Option("", help="SEQ:HASH from `cityops audit checkpoint`, kept elsewhere earlier"),
) -> None:
    """Check the audit hash chain; exit 1 naming the first broken entry."""
    from cityops.core import audit
    from cityops.core.db import session_scope

    expected = None
    if checkpoint:
        seq, _, digest = checkpoint.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            console.print("[red]--checkpoint must be SEQ:HASH (64 hex digits)[/red]")
            raise typer.Exit(2)
        expected = (int(seq), digest)
    _, factory = open_database(Settings())
    with session_scope(factory, write=False) as s:
        result = audit.verify(s, checkpoint=expected)
        waiting = audit.waiting(s)
    if result.ok:
        proof = f", passes through checkpoint {checkpoint}" if checkpoint else ""
        console.print(
            f"[green]audit chain intact[/green]: {result.checked} entries{proof}; {waiting} waiting for the sequencer"
        )
        return
    console.print(
        f"[red]audit chain broken at entry seq={result.broken_seq}[/red]: {result.reason} "
        f"({result.checked} entries verified before it)"
    )
    raise typer.Exit(1)
