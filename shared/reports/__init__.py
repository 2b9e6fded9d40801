"""Monthly growth reports: `model` (ReportData, canonical bytes), `suggestions` (explainable rules), `render` (fpdf2
PDF), `fonts` (the report fonts), `signing` (Ed25519 seal, verification codes). Nothing is imported here, so that a
function importing only the model does not pay for fpdf2. See docs/REPORTS.md."""
