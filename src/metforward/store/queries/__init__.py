"""Every read the questions make on the raw tables: one module per subject, typed parameters, rows out.

The cubes (:mod:`metforward.store.cubes`) hold the portable counts; these modules hold the other
statements that used to sit beside the statistics and the faces. Like the cubes they are checked
for portability: ``tests/store/test_queries.py`` transpiles every statement here to Spark SQL with
SQLGlot.
"""
