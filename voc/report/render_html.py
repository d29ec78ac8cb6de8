"""Render `ReportData` as one self-contained HTML file (jinja2, autoescape on).

Customer text reaches the page only through autoescaped template variables or
through `voc.report.charts`, which escapes what it puts into SVG. The page
carries a Content-Security-Policy that loads nothing from anywhere and runs
only the table-sorting script below, pinned by its SHA-256.
"""

from __future__ import annotations

import base64
import hashlib

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from voc.config.report import ReportConfig
from voc.report import charts, fmt
from voc.report.inputs import safe_url
from voc.report.models import ReportData

# Sorts any `table.sortable` by the clicked header, reading each cell's data-sort value.
SORT_SCRIPT = """
(function () {
  function key(cell, numeric) {
    var v = cell ? (cell.getAttribute("data-sort") || cell.textContent) : "";
    if (numeric) { var f = parseFloat(v); return isNaN(f) ? -Infinity : f; }
    return v.toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      var type = th.getAttribute("data-sort-type");
      if (!type) { return; }
      th.setAttribute("tabindex", "0");
      function sort() {
        var desc = th.getAttribute("aria-sort") !== "descending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col], type === "num"), y = key(b.cells[col], type === "num");
          return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
    });
  });
})();
"""


def _script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("voc.report", "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        metric_value=fmt.metric_value,
        metric_delta=fmt.metric_delta,
        metric_tone=fmt.metric_tone,
        pct_change=fmt.pct_change,
        share=fmt.share,
        money=fmt.money,
        shorten=fmt.shorten,
        marked=fmt.marked,
        safe_url=safe_url,
        sparkline=charts.sparkline,
        volume_bars=charts.volume_bars,
        trend_lines=charts.trend_lines,
        accounts_scatter=charts.accounts_scatter,
        breakdown_bar=charts.breakdown_bar,
        breakdown_color=charts.breakdown_color,
        series_color=charts.series_color,
        heat_color=charts.heat_color,
        heat_text=charts.heat_text,
    )
    env.filters["human"] = lambda v: str(v).replace("_", " ") if v is not None else v
    return env


def render_html(
    data: ReportData, config: ReportConfig | None = None, links: list[tuple[str, str]] | None = None
) -> str:
    """The report as a complete HTML document (a string); `links` are (text, relative path) of files beside it."""
    cfg = config or ReportConfig()
    template = _environment().get_template("report.html.j2")
    return template.render(
        d=data,
        links=links or [],
        script=Markup(SORT_SCRIPT),
        script_hash=_script_hash(SORT_SCRIPT),
        verbatims_per_entry=cfg.verbatims_per_entry,
        quote_chars=cfg.quote_chars,
        max_accounts=cfg.max_accounts_listed,
        at_risk_quantile=cfg.at_risk_revenue_quantile,
        at_risk_min_items=cfg.at_risk_min_items,
        max_plotted=cfg.max_accounts_plotted,
        max_theme_rows=cfg.max_theme_rows,
        plotted_accounts=charts.plotted_accounts,
    )
