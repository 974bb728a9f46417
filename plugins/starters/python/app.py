"""A patchart chart plugin in Python: the countries with most documents,
as ranked bars.

The plugin computes its numbers; the SDK draws them. `draw` is the
`patchart:sdk/draw` interface: the drawing of the built-in charts (fonts,
axes, palettes, label fitting, chart_data), composed into this plugin by
`patchart plugin build`. Besides `draw_ranked_bars` it offers
`draw_curves`, `draw_yearly_series`, `draw_treemap` and `draw_donut`, each
taking a spec record (`draw.Curves`, `draw.YearlySeries`, `draw.Treemap`,
`draw.Donut`) and the page. Build, check and draw it with:

    patchart plugin build .
    patchart plugin validate starter_chart.wasm
    patchart render export.xlsx --plugin starter_chart.wasm --algorithm starter_chart

The guide is docs/plugins.md in the patchart repository.
"""

import json

import wit_world
from componentize_py_types import Err
from wit_world.imports import draw, types

KEY = "starter_chart"
VERSION = "0.1.0"
FACET = "countries"

# The host validates params against this schema before `render` is called,
# so `render` can trust their types and ranges.
PARAMS_SCHEMA = json.dumps(
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{KEY} parameters",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "top_n": {
                "description": "Countries drawn as their own bar; the rest are summed into Others.",
                "type": "integer",
                "minimum": 1,
                "maximum": 30,
                "default": 10,
            }
        },
    }
)

# Every sentence the chart writes, per locale (`style.locale` is en or es).
TEXTS = {
    "en": {
        "title": "Countries and offices by patent documents",
        "value": "Patent documents",
        "category": "Country or office",
    },
    "es": {
        "title": "Países y oficinas por documentos de patente",
        "value": "Documentos de patente",
        "category": "País u oficina",
    },
}


class WitWorld(wit_world.WitWorld):
    def info(self) -> types.PluginInfo:
        return types.PluginInfo(
            key=KEY,
            version=VERSION,
            name="Starter: top countries",
            description="Ranked bars of the countries and offices with the most documents.",
            params_schema=PARAMS_SCHEMA,
            required_facets=[FACET],
        )

    def render(self, data: types.Dataset, params: str, style: types.Style) -> types.Chart:
        top_n = json.loads(params or "{}").get("top_n", 10)
        facet = next((f for f in data.facets if f.name == FACET), None)
        if facet is None or not any(e.count for e in facet.entries):
            raise Err(types.RenderError_MissingData(f"facet `{FACET}` is missing or empty"))
        t = TEXTS.get(style.locale, TEXTS["en"])
        spec = draw.RankedBars(
            algorithm=KEY,
            title=t["title"],
            subtitle=None,
            value_title=t["value"],
            category_title=t["category"],
            items=[draw.Item(label=e.label, count=e.count) for e in facet.entries],
            top_n=top_n,
            max_label_lines=1,
            notes=[],
            totals=[],
        )
        try:
            # `draw.Page` is the style the host passed, field for field.
            drawn = draw.draw_ranked_bars(spec, draw.Page(**vars(style)))
        except Err as e:
            raise Err(types.RenderError_Failed(e.value))
        return types.Chart(svg=drawn.svg, chart_data=drawn.chart_data, warnings=drawn.warnings)
