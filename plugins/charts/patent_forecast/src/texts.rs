//! Every sentence of this chart, in English and Spanish (the sentences
//! about years shared by the time charts are in `patchart_sdk::series`).

use patchart_sdk::format::{self, Locale};

use crate::arima::ArimaFit;
use crate::holt::HoltFit;
use crate::{Forecasts, Method};

pub(crate) struct Texts {
    pub locale: Locale,
}

impl Texts {
    pub fn new(locale: Locale) -> Texts {
        Texts { locale }
    }

    fn dec(&self, v: f64, d: usize) -> String {
        format::decimal(v, d, self.locale)
    }

    pub fn title(&self) -> String {
        match self.locale {
            Locale::En => "Patent publications per year: forecast".to_owned(),
            Locale::Es => "Publicaciones de patentes por año: previsión".to_owned(),
        }
    }

    pub fn subtitle(&self, f: &Forecasts) -> String {
        let (a, b) = (f.fit_first_year(), f.fit_last_year());
        let (c, d) = (
            f.years.first().copied().unwrap_or(b + 1),
            f.last_forecast_year(),
        );
        match self.locale {
            Locale::En => format!("Fitted on {a}\u{2013}{b}, forecast {c}\u{2013}{d}"),
            Locale::Es => format!("Ajustado con {a}\u{2013}{b}, previsión {c}\u{2013}{d}"),
        }
    }

    pub fn y_axis(&self) -> &'static str {
        match self.locale {
            Locale::En => "Published patent documents",
            Locale::Es => "Documentos de patente publicados",
        }
    }

    pub fn history(&self) -> &'static str {
        match self.locale {
            Locale::En => "Published documents",
            Locale::Es => "Documentos publicados",
        }
    }

    /// The method's name, with the ARIMA order chosen.
    pub fn method(&self, m: Method, arima: &ArimaFit) -> String {
        match (m, self.locale) {
            (Method::Holt, Locale::En) => "Holt (ETS A,A,N)".to_owned(),
            (Method::Holt, Locale::Es) => "Holt (ETS A,A,N)".to_owned(),
            (Method::Arima, _) => format!("ARIMA{}", arima.order()),
        }
    }

    pub fn fitted(&self) -> &'static str {
        match self.locale {
            Locale::En => "fitted",
            Locale::Es => "ajuste",
        }
    }

    pub fn forecast(&self) -> &'static str {
        match self.locale {
            Locale::En => "forecast",
            Locale::Es => "previsión",
        }
    }

    pub fn bound(&self, kind: &str, level: u32) -> String {
        match (self.locale, kind) {
            (Locale::En, "lower") => format!("lower {level}%"),
            (Locale::En, _) => format!("upper {level}%"),
            (Locale::Es, "lower") => format!("límite inferior {level}\u{a0}%"),
            (Locale::Es, _) => format!("límite superior {level}\u{a0}%"),
        }
    }

    pub fn interval_legend(&self, level: u32) -> String {
        match self.locale {
            Locale::En => format!("{level}% prediction intervals"),
            Locale::Es => format!("Intervalos de predicción del {level}\u{a0}%"),
        }
    }

    pub fn forecast_caption(&self) -> &'static str {
        match self.locale {
            Locale::En => "forecast \u{2192}",
            Locale::Es => "previsión \u{2192}",
        }
    }

    pub fn note_incomplete(&self, years: &str) -> String {
        match self.locale {
            Locale::En => format!(
                "{years} (shaded, dashed): counts still incomplete (patent documents are published up to 18 months after filing); shown but not used to fit the models, which would read the lag as a downturn."
            ),
            Locale::Es => format!(
                "{years} (sombreado, discontinuo): recuentos aún incompletos (los documentos de patente se publican hasta 18 meses después de su presentación); se muestran, pero no se usan para ajustar los modelos, que tomarían el retraso por un descenso."
            ),
        }
    }

    pub fn note_holt(&self, h: &HoltFit) -> String {
        let (a, b) = (self.dec(h.alpha, 2), self.dec(h.beta, 2));
        match self.locale {
            Locale::En => format!(
                "Holt: exponential smoothing of level and trend, ETS(A,A,N), fitted by maximum likelihood (\u{3b1} = {a}, \u{3b2} = {b}); the forecast continues the last trend in a straight line."
            ),
            Locale::Es => format!(
                "Holt: suavizado exponencial de nivel y tendencia, ETS(A,A,N), ajustado por máxima verosimilitud (\u{3b1} = {a}, \u{3b2} = {b}); la previsión prolonga en línea recta la última tendencia."
            ),
        }
    }

    pub fn note_arima(&self, m: &ArimaFit) -> String {
        let order = m.order();
        let d = m.d;
        match self.locale {
            Locale::En => format!(
                "ARIMA{order}: differenced {d} {} (KPSS tests), then the autoregressive and moving-average orders (up to 2) with the lowest AICc.",
                if d == 1 { "time" } else { "times" }
            ),
            Locale::Es => format!(
                "ARIMA{order}: diferenciado {d} {} (pruebas KPSS), con los órdenes autorregresivo y de media móvil (hasta 2) de menor AICc.",
                if d == 1 { "vez" } else { "veces" }
            ),
        }
    }

    pub fn note_interval(&self, level: u32) -> String {
        match self.locale {
            Locale::En => format!(
                "Bands: {level}% prediction intervals, assuming normal errors; chart_data has the 80% and 95% bounds of both methods."
            ),
            Locale::Es => format!(
                "Bandas: intervalos de predicción del {level}\u{a0}%, con errores normales; chart_data contiene los límites del 80\u{a0}% y del 95\u{a0}% de ambos métodos."
            ),
        }
    }

    pub fn note_clamped(&self) -> &'static str {
        match self.locale {
            Locale::En => "Negative forecasts and bounds are shown as 0.",
            Locale::Es => "Las previsiones y los límites negativos se muestran como 0.",
        }
    }

    /// A forecast point's tooltip: "2026: 41.9 (95%: 30.1–53.7)".
    pub fn point(&self, year: i32, v: f64, lo: f64, hi: f64, level: u32) -> String {
        let pct = match self.locale {
            Locale::En => format!("{level}%"),
            Locale::Es => format!("{level}\u{a0}%"),
        };
        format!(
            "{year}: {} ({pct}: {}\u{2013}{})",
            self.dec(v, 1),
            self.dec(lo, 1),
            self.dec(hi, 1)
        )
    }
}
