"""Contingency plans (预案三级配置), plan runs with their tasks, notifications, and the emergency direct
report (突发事件直报快响)."""
