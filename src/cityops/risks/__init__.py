"""风险清单: the risk register — risk categories and points, their levels and reassessments, inspections,
hazards (隐患) through rectification, 风险提示, the map layer and the runway figures."""
