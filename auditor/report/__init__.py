"""Built-in report formats, registered through the `register_report_formats` hook."""

from auditor.hookspecs import hookimpl


@hookimpl
def register_report_formats(register):
    register("auditor.report.summary_json:SummaryJson", name="json", description="summary.json: every cell's metrics")
    register("auditor.report.markdown:MarkdownReport", name="markdown", description="report.md for reviews")
