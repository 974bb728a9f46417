// A patchart chart plugin in JavaScript: the countries with most
// documents, as ranked bars.
//
// The plugin computes its numbers; the SDK draws them. `drawRankedBars`
// comes from the `patchart:sdk/draw` interface: the drawing of the built-in
// charts (fonts, axes, palettes, label fitting, chart_data), composed into
// this plugin by `patchart plugin build`; it also exports `drawCurves`,
// `drawYearlySeries`, `drawTreemap` and `drawDonut`, each taking a spec
// object and the page. Build, check and draw it with:
//
//     patchart plugin build .
//     patchart plugin validate starter_chart.wasm
//     patchart render export.xlsx --plugin starter_chart.wasm --algorithm starter_chart
//
// The guide is docs/plugins.md in the patchart repository.

import { drawRankedBars } from 'patchart:sdk/draw@0.1.0';

const KEY = 'starter_chart';
const VERSION = '0.1.0';
const FACET = 'countries';

// The host validates params against this schema before `render` is
// called, so `render` can trust their types and ranges.
const PARAMS_SCHEMA = JSON.stringify({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: `${KEY} parameters`,
  type: 'object',
  additionalProperties: false,
  properties: {
    top_n: {
      description: 'Countries drawn as their own bar; the rest are summed into Others.',
      type: 'integer',
      minimum: 1,
      maximum: 30,
      default: 10,
    },
  },
});

// Every sentence the chart writes, per locale (`style.locale` is en or es).
const TEXTS = {
  en: { title: 'Countries and offices by patent documents', value: 'Patent documents', category: 'Country or office' },
  es: { title: 'Países y oficinas por documentos de patente', value: 'Documentos de patente', category: 'País u oficina' },
};

export function info() {
  return {
    key: KEY,
    version: VERSION,
    name: 'Starter: top countries',
    description: 'Ranked bars of the countries and offices with the most documents.',
    paramsSchema: PARAMS_SCHEMA,
    requiredFacets: [FACET],
  };
}

// A `render-error` is thrown as `{ tag, val }`; componentize-js turns it
// into the `err` of the result.
export function render(data, params, style) {
  const topN = JSON.parse(params || '{}').top_n ?? 10;
  const facet = data.facets.find((f) => f.name === FACET);
  if (!facet || !facet.entries.some((e) => e.count > 0n)) {
    throw { tag: 'missing-data', val: `facet \`${FACET}\` is missing or empty` };
  }
  const t = TEXTS[style.locale] ?? TEXTS.en;
  let drawn;
  try {
    // The page is the style the host passed, field for field.
    drawn = drawRankedBars(
      {
        algorithm: KEY,
        title: t.title,
        subtitle: undefined,
        valueTitle: t.value,
        categoryTitle: t.category,
        items: facet.entries.map((e) => ({ label: e.label, count: e.count })),
        topN,
        maxLabelLines: 1,
        notes: [],
        totals: [],
      },
      style,
    );
  } catch (e) {
    throw { tag: 'failed', val: String(e.payload ?? e) };
  }
  return drawn;
}
