"""The landing page's claims table renders as an HTML table with one row per claim."""

import re

from docutils.core import publish_parts

from scorematch.report import claims_table_rst, read_csv_rows, table_html

CLAIMS = [
    {
        "claim": "all *converge*",
        "experiment": "fig1",
        "case": "M3",
        "status": "holds",
        "quantity": "q",
        "value": "0.123456",
        "threshold": "1",
        "reason": "0.1235 < 1 is true",
        "figure": "figures/fig1.pdf",
    },
    {
        "claim": "exactly one | converges",
        "experiment": "thm3_5",
        "case": "",
        "status": "inconclusive",
        "quantity": "q",
        "value": "nan",
        "threshold": "0.9",
        "reason": "too few seeds: 3 (needs 10)",
        "figure": "figures/missing.png",
    },
]


def rendered(rst):
    """HTML of an RST text, with the link targets Snakemake's report defines per result."""
    targets = "\n".join(f".. _{name}: javascript:show('{name}')" for name in ("fig1.png", "thm3_5.png"))
    return publish_parts(f"{rst}\n\n{targets}\n", writer="html")["html_body"]


def test_claims_table_has_one_row_per_claim_and_links_known_figures():
    html = rendered(claims_table_rst(CLAIMS, figures=["figures/fig1.png", "figures/thm3_5.png"]))
    assert "system-message" not in html, html  # no RST errors
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)
    assert len(rows) == 1 + len(CLAIMS)
    assert "all *converge*" in rows[1] and "exactly one | converges" in rows[2]
    assert "<strong>holds</strong>" in rows[1] and "<strong>inconclusive</strong>" in rows[2]
    # a claim that is not evidence says why; one that is needs no more than its value
    assert "<strong>inconclusive</strong>: too few seeds: 3 (needs 10)" in rows[2]
    assert "is true" not in rows[1]
    assert "0.1235 (1)" in rows[1]
    # the claim's name links to the PNG of the PDF it names
    assert re.search(r"<a [^>]*href=\"javascript:show\('fig1.png'\)\"[^>]*>all \*converge\*</a>", rows[1])
    assert "javascript:" not in rows[2]  # a figure the report does not show is not linked
    assert all(len(re.findall(r"<t[dh][ >]", row)) == 4 for row in rows)  # fits the text column
    assert "2 claims: 1 holds, 0 fails, 0 outside, 1 inconclusive" in html


def test_table_html_escapes_and_keeps_every_cell():
    rows = read_csv_rows('a,b\n1,<x>\n2,"y, z"\n')
    html = table_html(rows, title="T & U")
    assert html.count("<tr>") == 3 and "&lt;x&gt;" in html and "<td>y, z</td>" in html and "T &amp; U" in html
