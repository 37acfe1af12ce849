"""Built-in report formats, registered through the `register_report_formats` hook."""

from auditor.hookspecs import hookimpl


@hookimpl
def register_report_formats(register):
    register("auditor.report.summary_json:SummaryJson", name="json", description="summary.json: every cell's metrics")
    register("auditor.report.markdown:MarkdownReport", name="markdown", description="report.md for reviews")
    register("auditor.report.html:HtmlReport", name="html",
             description="report.html: self-contained page with charts, transcripts and provenance")
    register("auditor.report.tables:CsvResults", name="csv", description="results.csv: one row per attempt")
    register("auditor.report.tables:ParquetResults", name="parquet",
             description="results.parquet: one row per attempt")
