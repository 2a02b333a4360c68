"""Analysis of the curated datasets: functions that take DataFrames and return DataFrames.

One module per dataset. Nothing here reads files; callers pass what ``haiti_mission.load`` gives.
"""
