"""The tools a candidate can say they know (a closed list, so filters and matching compare
like with like). Domains are `vetting.models.Domain`."""

TOOLS = (
    "Label Studio",
    "Prodigy",
    "CVAT",
    "Labelbox",
    "doccano",
    "Argilla",
    "Excel",
    "Python",
    "SQL",
    "Git",
    "Jupyter",
)
