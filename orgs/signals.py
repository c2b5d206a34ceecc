"""Signals orgs sends to the apps above it, which it may not import."""

from django.dispatch import Signal

# People joined (or moved into) a team of `organization`: a roster import or an accepted
# invitation. Sent once the change is committed; assessments sends them the launch email of
# any cycle that is open now, instead of at the next daily pass.
members_joined = Signal()
