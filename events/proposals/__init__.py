"""Proposals: the tracker reads an article and proposes the records it reports (issue 13, milestone 3).

Rule-based and explainable: every proposal names the rule that made it and why. ``engine.propose`` is pure (a
source, the known actors and records in; proposals out); ``load`` reads its inputs from the database.
"""
