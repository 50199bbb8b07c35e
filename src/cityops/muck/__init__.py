"""渣土治理: construction and disposal sites, licensed muck trucks (GPS devices) and their violations."""
