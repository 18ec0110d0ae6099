"""jiceng — 基层治理平台, an open-source platform for grassroots governance."""
