"""基层智治 "141": grids, grid workers, patrols, three-level duty lists, 一表通."""
