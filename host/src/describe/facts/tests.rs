//! The paragraphs the describer writes for the shapes of chart_data the
//! built-in charts produce, in both locales.

use super::*;
use serde_json::json;

/// `top_patent_countries` of the shared export, as the plugin writes it.
fn countries() -> Value {
    json!({
        "schema_version": 1, "type": "horizontal_bar", "algorithm": "top_patent_countries",
        "title": "Top 15 patent countries", "locale": "en",
        "subtitle": "364 published patent documents in 35 countries and offices",
        "x_axis": {"label": "Published patent documents"},
        "y_axis": {"label": "Jurisdiction", "categories": ["CN", "WO", "US", "EP", "KR", "CA", "JP", "AU", "DE", "AT", "BR", "DK", "FR", "IT", "NL", "Others"]},
        "series": [{
            "name": "Published patent documents", "kind": "observed",
            "labels": ["CN", "WO", "US", "EP", "KR", "CA", "JP", "AU", "DE", "AT", "BR", "DK", "FR", "IT", "NL", "Others"],
            "values": [192, 30, 29, 18, 13, 11, 10, 8, 6, 4, 3, 3, 3, 3, 3, 28],
            "shares": [52.75, 8.24, 7.97, 4.95, 3.57, 3.02, 2.75, 2.2, 1.65, 1.1, 0.82, 0.82, 0.82, 0.82, 0.82, 7.69],
            "ranks": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, null],
            "flags": ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "others"]
        }],
        "totals": {"entries": 35, "others_count": 28, "others_entries": 20, "others_share": 7.69,
                   "shown_count": 15, "top_n": 15, "top_share": 92.31, "total": 364},
        "highlights": [], "notes": [], "warnings": []
    })
}

fn years(flags: bool) -> Value {
    let labels: Vec<String> = (2015..=2023).map(|y| y.to_string()).collect();
    let mut s = json!({"name": "Published documents", "kind": "observed", "labels": labels,
                       "values": [3, 8, 0, 21, 26, 27, 31, 27, 9]});
    if flags {
        s["flags"] = json!(["", "", "", "", "", "", "", "incomplete", "incomplete"]);
    }
    json!({
        "schema_version": 1, "type": "line", "algorithm": "patent_evolution",
        "title": "Patent documents published per year", "locale": "en",
        "x_axis": {"label": "Year", "categories": labels},
        "y_axis": {"label": "Published patent documents"},
        "series": [s], "totals": {"total": 152}, "notes": [], "warnings": []
    })
}

#[test]
fn a_ranking_gives_the_leader_its_count_its_share_and_the_total_in_both_locales() {
    let en = describe(&countries(), Locale::En).expect("en");
    for needle in [
        "horizontal bar chart",
        "\u{201c}Top 15 patent countries\u{201d}",
        "published patent documents by jurisdiction",
        "CN leads with 192 (52.8%)",
        "WO with 30 (8.2%) and US with 29 (8.0%)",
        "The total is 364 across 35 categories",
        "Others (20 further categories) account for 28 (7.7%)",
        "The top three together hold 69.0% of the total, a high concentration",
        "CN alone holds more than half",
    ] {
        assert!(en.contains(needle), "{needle:?} missing in: {en}");
    }
    let es = describe(&countries(), Locale::Es).expect("es");
    for needle in [
        "gráfico de barras horizontales",
        "CN encabeza la lista con 192 (52,8\u{a0}%)",
        "El total es 364 en 35 categorías",
        // The chart is in English: its words are not woven into Spanish.
        "El gráfico de barras horizontales «Top 15 patent countries» abarca 35 categorías.",
        "«Otros» (20 categorías más) suma 28 (7,7\u{a0}%)",
        "una concentración alta",
        "CN concentra por sí solo más de la mitad",
    ] {
        assert!(es.contains(needle), "{needle:?} missing in: {es}");
    }
}

#[test]
fn a_chart_in_the_same_language_is_described_with_its_own_words() {
    let mut cd = countries();
    cd["locale"] = json!("es");
    cd["y_axis"]["label"] = json!("Jurisdicción");
    cd["x_axis"]["label"] = json!("Documentos de patente publicados");
    cd["series"][0]["labels"][15] = json!("Otros");
    let es = describe(&cd, Locale::Es).expect("es");
    assert!(
        es.starts_with("El gráfico de barras horizontales «Top 15 patent countries» muestra documentos de patente publicados por jurisdicción."),
        "{es}"
    );
    assert!(es.contains("«Otros» (20 categorías más)"), "{es}");
    let en = describe(&cd, Locale::En).expect("en");
    assert!(
        en.starts_with(
            "The horizontal bar chart \u{201c}Top 15 patent countries\u{201d} covers 35 categories."
        ),
        "{en}"
    );
    assert!(en.contains("; Others (20 further categories)"), "{en}");
}

#[test]
fn numbers_follow_the_locale() {
    let mut cd = countries();
    cd["totals"]["total"] = json!(12345);
    cd["series"][0]["shares"] = Value::Null;
    let en = describe(&cd, Locale::En).expect("en");
    assert!(en.contains("The total is 12,345"), "{en}");
    assert!(en.contains("192 (1.6%)"), "shares of the total: {en}");
    let es = describe(&cd, Locale::Es).expect("es");
    assert!(es.contains("El total es 12.345"), "{es}");
    assert!(es.contains("192 (1,6\u{a0}%)"), "{es}");
}

#[test]
fn the_same_chart_gives_the_same_words() {
    let a = describe(&countries(), Locale::Es).expect("a");
    let b = describe(&countries(), Locale::Es).expect("b");
    assert_eq!(a, b);
}

#[test]
fn years_give_span_total_peak_change_and_the_lag_caveat() {
    let en = describe(&years(true), Locale::En).expect("en");
    for needle in [
        "line chart",
        "published patent documents per year from 2015 to 2023",
        "adds up to 152",
        // 2022 has 27 too, but it is incomplete: the peak is 2021's.
        "peak of 31 in 2021",
        "from 3 in 2015 to 31 in 2021, the last complete year (+14.8% on 2020)",
        "2022 and 2023 are incomplete because of the publication lag",
    ] {
        assert!(en.contains(needle), "{needle:?} missing in: {en}");
    }
    let es = describe(&years(true), Locale::Es).expect("es");
    assert!(es.contains("2022 y 2023 están incompletos"), "{es}");
    assert!(es.contains("(+14,8\u{a0}% respecto a 2020)"), "{es}");

    let plain = describe(&years(false), Locale::En).expect("no flags");
    assert!(!plain.contains("incomplete"), "{plain}");
    assert!(plain.contains("to 9 in 2023"), "{plain}");
}

#[test]
fn a_stated_cagr_and_a_cumulative_series_are_reported() {
    let mut cd = years(true);
    cd["type"] = json!("dual_axis");
    cd["series"].as_array_mut().expect("series").push(json!({
        "name": "Cumulative", "kind": "cumulative",
        "labels": (2015..=2023).map(|y| y.to_string()).collect::<Vec<_>>(),
        "values": [3, 11, 11, 32, 58, 85, 116, 143, 152],
        "flags": ["", "", "", "", "", "", "", "incomplete", "incomplete"]
    }));
    cd["metrics"] = json!({"cagr": {"start_year": 2015, "end_year": 2021, "start_value": 3,
                                    "end_value": 31, "percent": 47.6, "includes_incomplete_years": false}});
    let en = describe(&cd, Locale::En).expect("en");
    assert!(
        en.contains("(CAGR) from 2015 to 2021 is +47.6% a year (3 \u{2192} 31)"),
        "{en}"
    );
    assert!(
        en.contains("The cumulative count reaches 116 by 2021"),
        "{en}"
    );
    let es = describe(&cd, Locale::Es).expect("es");
    assert!(
        es.contains("(TCAC) de 2015 a 2021 es del +47,6\u{a0}% anual"),
        "{es}"
    );
}

#[test]
fn forecasts_give_each_method_with_its_widest_interval() {
    let mut cd = years(true);
    cd["type"] = json!("forecast");
    let f = |name: &str, kind: &str, v: [f64; 2]| json!({"name": name, "kind": kind, "labels": ["2024", "2025"], "values": v});
    let series = cd["series"].as_array_mut().expect("series");
    series.extend([
        f("Holt \u{2013} forecast", "forecast", [33.0, 35.25]),
        f("Holt \u{2013} lower 80%", "lower_80", [25.0, 24.0]),
        f("Holt \u{2013} upper 80%", "upper_80", [40.0, 46.0]),
        f("Holt \u{2013} lower 95%", "lower_95", [20.0, 18.04]),
        f("Holt \u{2013} upper 95%", "upper_95", [45.0, 52.46]),
        f("ARIMA(0,1,0) \u{2013} forecast", "forecast", [31.0, 31.0]),
        f("ARIMA(0,1,0) \u{2013} lower 80%", "lower_80", [20.0, 16.0]),
        f("ARIMA(0,1,0) \u{2013} upper 80%", "upper_80", [42.0, 46.0]),
    ]);
    let en = describe(&cd, Locale::En).expect("en");
    assert!(
        en.contains("Forecasts for 2025: Holt projects 35.2 (95% interval 18.0 to 52.5) and ARIMA(0,1,0) projects 31.0 (80% interval 16.0 to 46.0)."),
        "{en}"
    );
    let es = describe(&cd, Locale::Es).expect("es");
    assert!(
        es.contains("Holt proyecta 35,2 (intervalo del 95\u{a0}%: de 18,0 a 52,5)"),
        "{es}"
    );
}

#[test]
fn a_treemap_without_axes_is_named_by_its_series_and_shares_keep_their_base() {
    let cd = json!({
        "schema_version": 1, "type": "treemap", "algorithm": "cpc_treemap", "title": "Top CPC subgroups",
        "locale": "en",
        "series": [{"name": "Documents per CPC subgroup", "kind": "observed",
                    "labels": ["G01N33/24", "G01N33/18", "G01N33/0098", "G01N1/28"],
                    "values": [98, 40, 39, 17], "shares": [50.52, 20.62, 20.1, 8.76]}],
        "totals": {"total": 400, "entries": 30, "others_count": 206, "others_entries": 26,
                   "share_base_count": 194},
        "notes": [], "warnings": []
    });
    let en = describe(&cd, Locale::En).expect("en");
    for needle in [
        "The treemap \u{201c}Top CPC subgroups\u{201d} shows documents per CPC subgroup.",
        "G01N33/24 leads with 98 (50.5%)",
        "The total is 400 across 30 categories; 26 further categories with 206 are not drawn; the shares are of 194.",
        // 98 + 40 + 39 of 400 (44.25, printed as the chart prints it); 51.5%
        // outside the four named.
        "fragmented: the top three together hold 44.2% of the total and 51.5% lies outside",
    ] {
        assert!(en.contains(needle), "{needle:?} missing in: {en}");
    }
}

#[test]
fn a_donut_counts_the_categories_inside_others() {
    let cd = json!({
        "schema_version": 1, "type": "donut", "algorithm": "family_languages", "title": "Languages",
        "locale": "es",
        "series": [{"name": "Familias por idioma", "kind": "observed",
                    "labels": ["inglés", "chino", "alemán", "Otros"], "values": [238, 192, 13, 35],
                    "flags": ["", "", "", "others"]}],
        "totals": {"total": 478, "others_entries": 9},
        "notes": [], "warnings": []
    });
    let es = describe(&cd, Locale::Es).expect("es");
    assert!(
        es.starts_with("El gráfico de anillo «Languages» muestra familias por idioma."),
        "{es}"
    );
    // A label that opens a sentence is capitalised.
    assert!(
        es.contains(" Inglés encabeza la lista con 238 (49,8\u{a0}%)"),
        "{es}"
    );
    assert!(es.contains("El total es 478 en 12 categorías"), "{es}");
}

#[test]
fn ties_are_said_as_ties() {
    let cd = json!({
        "schema_version": 1, "type": "horizontal_bar", "algorithm": "x", "title": "Inventors", "locale": "en",
        "series": [{"name": "Documents", "labels": ["A", "B", "C", "D", "E", "F"],
                    "values": [4, 3, 3, 3, 3, 1]}],
        "totals": {"total": 17}, "notes": [], "warnings": []
    });
    let en = describe(&cd, Locale::En).expect("en");
    assert!(
        en.contains("A leads with 4 (23.5%), followed by 4 categories with 3 (17.6%) each, among them B and C."),
        "{en}"
    );
    let mut shared = cd.clone();
    shared["series"][0]["values"] = json!([4, 4, 3, 1, 1, 1]);
    let en = describe(&shared, Locale::En).expect("en");
    assert!(
        en.contains(
            "The lead is shared: A and B with 4 (23.5%) each, followed by C with 3 (17.6%)."
        ),
        "{en}"
    );
}

#[test]
fn grouped_bars_give_the_leader_of_each_series() {
    let cd = json!({
        "schema_version": 1, "type": "grouped_bar", "algorithm": "x", "title": "Applicants vs inventors",
        "locale": "en",
        "x_axis": {"label": "Country", "categories": ["US", "KR", "CN"]},
        "y_axis": {"label": "Patent documents"},
        "series": [
            {"name": "Applicants", "kind": "observed", "labels": ["US", "KR", "CN"], "values": [63, 11, 9]},
            {"name": "Inventors", "kind": "observed", "labels": ["US", "KR", "CN"], "values": [62, 9, 9]}
        ],
        "totals": {}, "notes": [], "warnings": []
    });
    let en = describe(&cd, Locale::En).expect("en");
    assert!(
        en.contains("shows Applicants and Inventors by country."),
        "{en}"
    );
    assert!(
        en.contains("In Applicants, US leads with 63 (75.9%), followed by KR with 11 (13.3%) and CN with 9 (10.8%) (shares of the 83 shown)."),
        "{en}"
    );
    assert!(
        en.contains(
            "In Inventors, US leads with 62 (77.5%), followed by KR and CN with 9 (11.2%) each"
        ),
        "{en}"
    );
}

#[test]
fn highlights_are_reported_where_they_rank() {
    let mut cd = countries();
    cd["highlights"] = json!([
        {"label": "EC", "found": true, "rank": 22, "count": 1, "share": 0.27, "in_chart": false},
        {"label": "ZZ", "found": false}
    ]);
    let en = describe(&cd, Locale::En).expect("en");
    assert!(
        en.contains("EC, asked about, ranks 22 with 1 (0.3%)."),
        "{en}"
    );
    assert!(
        en.contains("ZZ, asked about, does not appear in the data."),
        "{en}"
    );
}

#[test]
fn unreadable_chart_data_is_a_clear_error() {
    for bad in [json!([1, 2]), json!({"type": "bar"}), json!({"series": []})] {
        let e = describe(&bad, Locale::En).expect_err("no data");
        assert_eq!(e.code, ErrorCode::AiNoChartData);
        assert!(e.message.contains("cannot be described"), "{}", e.message);
    }
}

#[test]
fn whole_numbers_written_as_floats_read_as_the_schema_allows() {
    // Python's json writes float counts as `22.0`; the schema's integers
    // admit that spelling, so the chart is described as if they were `22`.
    let mut cd = countries();
    let ranks: Vec<Value> = (1..=15)
        .map(|r| json!(f64::from(r)))
        .chain([Value::Null])
        .collect();
    cd["series"][0]["ranks"] = Value::Array(ranks);
    cd["highlights"] =
        json!([{"label": "EC", "found": true, "rank": 22.0, "count": 1.0, "share": 0.27}]);
    let en = describe(&cd, Locale::En).expect("en");
    assert!(en.contains("CN leads with 192 (52.8%)"), "{en}");
    assert!(
        en.contains("EC, asked about, ranks 22 with 1 (0.3%)."),
        "{en}"
    );
}

#[test]
fn chart_data_off_the_schema_says_where() {
    let mut cd = countries();
    cd["type"] = json!("pie");
    let e = describe(&cd, Locale::En).expect_err("no such chart type");
    assert_eq!(e.code, ErrorCode::AiNoChartData);
    assert!(
        e.message.contains("does not follow the chart-data schema") && e.message.contains("pie"),
        "{}",
        e.message
    );
}
