"""Applicant concentration: how unevenly the documents of a search are
spread over its applicants.

A Lorenz curve of the `applicants` facet: applicants sorted from the
fewest documents to the most, the x axis their cumulative share of
applicants, the y axis their cumulative share of documents. The further
the curve sags below the line of equality, the more a few applicants
dominate. Two figures summarise it, in chart_data's `totals` and in the
subtitle:

- the Gini coefficient (0 = every applicant has as many documents,
  towards 1 = one applicant has them all), twice the area between the
  line of equality and the curve;
- the Herfindahl–Hirschman index, the sum of squared shares in percent
  (0–10,000; above 2,500 reads as highly concentrated).

A document with several applicants counts once per applicant (as in the
facet), so shares are of applicant–document pairs. The numbers are
computed here; the picture is drawn by the patchart SDK (`draw`).

Build and try it:

    patchart plugin build plugins/examples/applicant_concentration
    patchart render --input export.xlsx --algorithm applicant_concentration \\
        --plugin plugins/examples/applicant_concentration/applicant_concentration.wasm --out out/
"""

import json

import wit_world
from componentize_py_types import Err
from wit_world.imports import draw, types

KEY = "applicant_concentration"
VERSION = "0.1.0"
FACET = "applicants"

# A curve of more points than this is thinned (evenly, ends kept) for the
# picture and chart_data; Gini and HHI always use every applicant.
MAX_POINTS = 400

PARAMS_SCHEMA = json.dumps(
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{KEY} parameters",
        "type": "object",
        "additionalProperties": False,
        "properties": {},
    }
)

TEXTS = {
    "en": {
        "title": "Applicant concentration",
        "subtitle": "Gini {gini} · HHI {hhi} · {n} applicants, {docs} applicant–document pairs",
        "x": "Share of applicants, fewest documents first",
        "y": "Share of documents",
        "curve": "Lorenz curve",
        "equality": "Line of equality",
        "top": "The top 10% of applicants ({k}) hold {share} of the documents",
        "counting": "A document with several applicants counts once for each, so shares are of "
        "applicant–document pairs; computed over the applicants the export lists",
        "hhi": "HHI is the sum of squared shares in percent (0–10,000); above 2,500 is highly concentrated",
        "one": "Only one applicant: there is no spread to measure",
    },
    "es": {
        "title": "Concentración de solicitantes",
        "subtitle": "Gini {gini} · HHI {hhi} · {n} solicitantes, {docs} pares solicitante–documento",
        "x": "Proporción de solicitantes, de menos a más documentos",
        "y": "Proporción de documentos",
        "curve": "Curva de Lorenz",
        "equality": "Línea de igualdad",
        "top": "El 10 % de solicitantes con más documentos ({k}) reúne el {share} de los documentos",
        "counting": "Un documento con varios solicitantes cuenta una vez por cada uno, así que las "
        "proporciones son de pares solicitante–documento; calculado sobre los solicitantes que lista la exportación",
        "hhi": "El HHI es la suma de las cuotas al cuadrado en porcentaje (0–10.000); más de 2.500 indica alta concentración",
        "one": "Solo hay un solicitante: no hay reparto que medir",
    },
}


def concentration(counts):
    """Lorenz points (percent), Gini (0–1), HHI (0–10,000) and the share
    of the top 10% of applicants, from positive counts."""
    counts = sorted(counts)
    n, total = len(counts), sum(counts)
    points = [(0.0, 0.0)]
    running = 0
    area = 0.0  # under the curve, in fractions
    prev_y = 0.0
    for i, c in enumerate(counts, start=1):
        running += c
        y = running / total
        area += (y + prev_y) / (2 * n)
        prev_y = y
        points.append((100.0 * i / n, 100.0 * y))
    gini = 1.0 - 2.0 * area
    hhi = sum((100.0 * c / total) ** 2 for c in counts)
    k = max(1, n // 10)
    top_share = 100.0 * sum(counts[-k:]) / total
    return points, gini, hhi, k, top_share


def thin(points):
    if len(points) <= MAX_POINTS:
        return points
    step = (len(points) - 1) / (MAX_POINTS - 1)
    return [points[round(i * step)] for i in range(MAX_POINTS)]


class WitWorld(wit_world.WitWorld):
    def info(self) -> types.PluginInfo:
        return types.PluginInfo(
            key=KEY,
            version=VERSION,
            name="Applicant concentration",
            description="A Lorenz curve of documents over applicants, with the Gini coefficient "
            "and the Herfindahl–Hirschman index.",
            params_schema=PARAMS_SCHEMA,
            required_facets=[FACET],
        )

    def render(self, data: types.Dataset, params: str, style: types.Style) -> types.Chart:
        facet = next((f for f in data.facets if f.name == FACET), None)
        counts = [e.count for e in facet.entries if e.count > 0] if facet else []
        if not counts:
            raise Err(types.RenderError_MissingData(f"facet `{FACET}` is missing or has no documents"))
        locale = style.locale if style.locale in TEXTS else "en"
        t = TEXTS[locale]
        points, gini, hhi, k, top_share = concentration(counts)
        total = sum(counts)
        subtitle = t["subtitle"].format(
            gini=draw.format_decimal(gini, 2, locale),
            hhi=draw.format_count(round(hhi), locale),
            n=draw.format_count(len(counts), locale),
            docs=draw.format_count(total, locale),
        )
        percent = draw.format_decimal(top_share, 1, locale) + ("%" if locale == "en" else "\u00a0%")
        notes = [t["top"].format(k=draw.format_count(k, locale), share=percent), t["counting"], t["hhi"]]
        if len(counts) == 1:
            notes.insert(0, t["one"])
        spec = draw.Curves(
            algorithm=KEY,
            title=t["title"],
            subtitle=subtitle,
            x_title=t["x"],
            y_title=t["y"],
            percent=True,
            lines=[
                draw.Line(
                    name=t["equality"],
                    points=[draw.Point(x=0.0, y=0.0), draw.Point(x=100.0, y=100.0)],
                    reference=True,
                ),
                draw.Line(
                    name=t["curve"],
                    points=[draw.Point(x=x, y=y) for x, y in thin(points)],
                    reference=False,
                ),
            ],
            fill_gap=True,
            notes=notes,
            totals=[
                draw.Figure(name="gini", value=round(gini, 4)),
                draw.Figure(name="hhi", value=round(hhi, 2)),
                draw.Figure(name="applicants", value=float(len(counts))),
                draw.Figure(name="total", value=float(total)),
                draw.Figure(name="top_decile_applicants", value=float(k)),
                draw.Figure(name="top_decile_share", value=round(top_share, 2)),
            ],
        )
        try:
            drawn = draw.draw_curves(spec, draw.Page(**vars(style)))
        except Err as e:
            raise Err(types.RenderError_Failed(e.value))
        return types.Chart(svg=drawn.svg, chart_data=drawn.chart_data, warnings=drawn.warnings)
