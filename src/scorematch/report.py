"""The report's landing page and table views (text in, text out; no file I/O here).

The landing page is reStructuredText that Snakemake renders (with Jinja) as the report's
front page: the introduction, then the claims table (one row per claim: status, value
against its threshold, link to its figure), then the figures by category. CSV tables are
shown in the report as HTML pages, since the report offers CSV files only as downloads.
"""

import csv
import html
import io
from pathlib import Path

from scorematch.claims import EVIDENCE, STATES

CLAIM_COLUMNS = ("claim", "experiment", "case", "status", "quantity", "value", "threshold", "reason", "figure")

# The figure list of the landing page: Jinja over the report's categories, each result
# linked through the targets Snakemake defines for it (one per result file name).
FIGURES_BY_CATEGORY = """
Figures and tables by category
------------------------------

{% for category, subcategories in categories|dictsort %}
- **{{ category.name }}**: {% for subcategory, results in subcategories|dictsort %}{% for result in results %}`{{ result.target }}`_ {% endfor %}{% endfor %}

{% endfor %}
"""


def read_csv_rows(text):
    """The rows of a CSV text as dicts (header -> cell)."""
    return list(csv.DictReader(io.StringIO(text)))


def _number(text):
    try:
        return f"{float(text):.4g}"
    except ValueError:
        return text


def _cell(text):
    """One list-table cell: a single line, without characters RST would read as markup."""
    return " ".join(str(text).split()).replace("*", r"\*").replace("`", r"\`").replace("|", r"\|") or r"\-"


def claims_table_rst(claims, *, figures):
    """An RST list-table of the claims (dicts with CLAIM_COLUMNS); a claim's name links to
    its figure when that is one of `figures` (the report's PNGs); an outside or
    inconclusive claim's status carries its reason.  Four columns: the table must fit the
    landing page's text column, beside which the report draws the rule graph."""
    shown = {Path(f).name for f in figures}
    counts = ", ".join(f"{sum(c['status'] == s for c in claims)} {s}" for s in STATES)
    lines = [
        "Claims",
        "------",
        "",
        f"{len(claims)} claims: {counts}. Each claim is tested under its hypotheses with the",
        "threshold stated in the config; a claim that fails is reported as measured.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 26 20 34 20",
        "",
        "   * - claim (its figure)",
        "     - experiment / case",
        "     - status (why, if not evidence)",
        "     - value (threshold)",
    ]
    for claim in claims:
        # the report shows each figure's PNG; a claim may name its PDF
        figure = Path(claim["figure"]).with_suffix(".png").name if claim["figure"] else ""
        name = _cell(claim["claim"])
        where = f"{claim['experiment']} / {claim['case']}" if claim["case"] else claim["experiment"]
        # a claim that is not evidence says why (the hypothesis measured outside, or what
        # keeps the tail from deciding)
        why = "" if claim["status"] in EVIDENCE else f": {_cell(claim['reason'])}"
        lines += [
            f"   * - `{name} <{figure}_>`_" if figure in shown else f"   * - {name}",
            f"     - {_cell(where)}",
            f"     - **{claim['status']}**{why}",
            f"     - {_cell(_number(claim['value']))} ({_cell(_number(claim['threshold']))})",
        ]
    return "\n".join(lines) + "\n"


def landing_page_rst(introduction, claims, *, figures):
    """The whole landing page: introduction, claims table, figures by category."""
    return f"{introduction.rstrip()}\n\n{claims_table_rst(claims, figures=figures)}\n{FIGURES_BY_CATEGORY}"


def table_html(rows, *, title):
    """A standalone HTML page showing CSV rows (list of dicts) as a table."""
    header = list(rows[0]) if rows else []
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(str(row[h]))}</td>" for h in header) + "</tr>" for row in rows)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;font-size:13px}table{border-collapse:collapse}"
        "th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}"
        "th{background:#eee;position:sticky;top:0}</style></head><body>\n"
        f"<h3>{html.escape(title)}</h3>\n<table>\n<tr>{head}</tr>\n{body}\n</table>\n</body></html>\n"
    )
