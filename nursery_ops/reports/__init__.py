"""The director's reports (报表): attendance, occupancy, health, staff compliance, enrolment movements.

Each report is built by one function from a few grouped queries, shown on screen, printed on A4
from the same page and exported as CSV (`nursery_ops.spreadsheet`).
"""
