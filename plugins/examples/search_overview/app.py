"""Search overview: three views of an Espacenet search, each drawn by the
patchart SDK from a declarative spec, as the built-in charts of the same
kind draw them.

- `years` (the default): documents per publication year
  (`publication_years`), the last two years shaded as still incomplete
  (documents are published about 18 months after filing);
- `fields`: the CPC subgroups with most classifications (`cpc_subgroups`)
  as a treemap, clustered and coloured by CPC main group, the rest in one
  Others cell;
- `languages`: the publication languages of the families (`languages`) as
  a donut, small languages summed into Others.

The plugin only picks and words what to show; laying out, label fitting,
shares and chart_data are the SDK's (`draw.draw_yearly_series`,
`draw.draw_treemap`, `draw.draw_donut`). Build and try it:

    patchart plugin build plugins/examples/search_overview
    patchart render --input export.xlsx --algorithm search_overview \\
        --plugin plugins/examples/search_overview/search_overview.wasm \\
        --params '{"view": "fields"}' --out out/
"""

import json

import wit_world
from componentize_py_types import Err
from wit_world.imports import draw, types

KEY = "search_overview"
VERSION = "0.1.0"
VIEWS = {"years": "publication_years", "fields": "cpc_subgroups", "languages": "languages"}

PARAMS_SCHEMA = json.dumps(
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{KEY} parameters",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "view": {
                "description": "years: documents per publication year; fields: CPC subgroups as a "
                "treemap; languages: family publication languages as a donut.",
                "enum": list(VIEWS),
                "default": "years",
            }
        },
    }
)

# Language names for the codes Espacenet uses most; other codes are shown
# as they are.
LANGUAGES = {
    "en": ("English", "inglés"),
    "zh": ("Chinese", "chino"),
    "ja": ("Japanese", "japonés"),
    "ko": ("Korean", "coreano"),
    "de": ("German", "alemán"),
    "fr": ("French", "francés"),
    "es": ("Spanish", "español"),
    "ru": ("Russian", "ruso"),
    "pt": ("Portuguese", "portugués"),
}

TEXTS = {
    "en": {
        "years_title": "Patent documents per publication year",
        "years_y": "Published patent documents",
        "years_series": "Documents",
        "years_note": "Counts are of the families' earliest publication",
        "fields_title": "CPC subgroups with most classifications",
        "fields_subtitle": "{n} subgroups in {g} main groups",
        "fields_series": "Classifications per CPC subgroup",
        "fields_group": "CPC main group",
        "fields_note": "A document classified in several subgroups counts once in each",
        "languages_title": "Publication languages of the patent families",
        "languages_series": "Families per publication language",
        "languages_hole": "counts in {n} languages",
        "languages_note": "A family published in several languages counts once in each",
    },
    "es": {
        "years_title": "Documentos de patente por año de publicación",
        "years_y": "Documentos de patente publicados",
        "years_series": "Documentos",
        "years_note": "Se cuenta la primera publicación de cada familia",
        "fields_title": "Subgrupos CPC con más clasificaciones",
        "fields_subtitle": "{n} subgrupos en {g} grupos principales",
        "fields_series": "Clasificaciones por subgrupo CPC",
        "fields_group": "Grupo principal CPC",
        "fields_note": "Un documento clasificado en varios subgrupos cuenta una vez en cada uno",
        "languages_title": "Idiomas de publicación de las familias de patentes",
        "languages_series": "Familias por idioma de publicación",
        "languages_hole": "recuentos en {n} idiomas",
        "languages_note": "Una familia publicada en varios idiomas cuenta una vez en cada uno",
    },
}


def main_group(subgroup):
    """The CPC main group of a subgroup: "G01N33" for "G01N33/24"."""
    return subgroup.split("/")[0].strip()


def years(facet, t, page):
    return draw.draw_yearly_series(
        draw.YearlySeries(
            algorithm=KEY,
            title=t["years_title"],
            subtitle=None,
            y_title=t["years_y"],
            series_name=t["years_series"],
            years=[draw.Item(label=e.label, count=e.count) for e in facet.entries],
            facet=facet.name,
            first_year=None,
            last_year=None,
            lag_years=2,
            cumulative=False,
            notes=[t["years_note"]],
            totals=[],
        ),
        page,
    )


def fields(facet, t, locale, page):
    items = [
        draw.TreemapItem(label=e.label, count=e.count, group=main_group(e.label))
        for e in facet.entries
    ]
    groups = {main_group(e.label) for e in facet.entries if e.count > 0}
    subtitle = t["fields_subtitle"].format(
        n=draw.format_count(len(facet.entries), locale), g=draw.format_count(len(groups), locale)
    )
    return draw.draw_treemap(
        draw.Treemap(
            algorithm=KEY,
            title=t["fields_title"],
            subtitle=subtitle,
            series_name=t["fields_series"],
            items=items,
            top_n=10,
            others=True,
            group_title=t["fields_group"],
            notes=[t["fields_note"]],
            totals=[draw.Figure(name="main_groups_in_export", value=float(len(groups)))],
        ),
        page,
    )


def languages(facet, t, locale, page):
    index = 0 if locale == "en" else 1
    named = [
        draw.Item(label=LANGUAGES.get(e.label, (e.label, e.label))[index], count=e.count)
        for e in facet.entries
    ]
    spoken = sum(1 for e in facet.entries if e.count > 0)
    return draw.draw_donut(
        draw.Donut(
            algorithm=KEY,
            title=t["languages_title"],
            subtitle=None,
            series_name=t["languages_series"],
            items=named,
            top_n=6,
            min_share=2.0,
            hole_caption=t["languages_hole"].format(n=draw.format_count(spoken, locale)),
            notes=[t["languages_note"]],
            totals=[],
        ),
        page,
    )



class WitWorld(wit_world.WitWorld):
    def info(self) -> types.PluginInfo:
        return types.PluginInfo(
            key=KEY,
            version=VERSION,
            name="Search overview",
            description="Documents per year, CPC subgroups as a treemap or family languages as a "
            "donut, drawn by the patchart SDK.",
            params_schema=PARAMS_SCHEMA,
            required_facets=list(VIEWS.values()),
        )

    def render(self, data: types.Dataset, params: str, style: types.Style) -> types.Chart:
        view = json.loads(params or "{}").get("view", "years")
        name = VIEWS[view]
        facet = next((f for f in data.facets if f.name == name), None)
        if facet is None or not any(e.count for e in facet.entries):
            raise Err(types.RenderError_MissingData(f"facet `{name}` is missing or has no documents"))
        locale = style.locale if style.locale in TEXTS else "en"
        t = TEXTS[locale]
        # `draw.Page` is the style the host passed, field for field.
        page = draw.Page(**vars(style))
        try:
            if view == "years":
                drawn = years(facet, t, page)
            elif view == "fields":
                drawn = fields(facet, t, locale, page)
            else:
                drawn = languages(facet, t, locale, page)
        except Err as e:
            raise Err(types.RenderError_Failed(e.value))
        return types.Chart(svg=drawn.svg, chart_data=drawn.chart_data, warnings=drawn.warnings)
