"""CSV ingestion for the lakehouse: extract and validate local CSV files as typed Arrow batches.

This package is imported while Airflow parses DAG files, so importing it must stay cheap:
nothing here imports pyarrow. Import the stages themselves (``lakehouse_loader.extract``,
``lakehouse_loader.contract``) inside the tasks that use them.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
