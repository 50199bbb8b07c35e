"""根治欠薪: employers, construction projects, workers' wage accounts, wage-arrears cases and warnings."""
