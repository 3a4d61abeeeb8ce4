"""The record and reports: the source log, its readable views, the outcomes report and durability."""
