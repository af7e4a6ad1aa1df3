//! Program reports: aggregates over a date range for the program's staff, as JSON or as
//! one flat CSV, with small counts withheld (`domain::report`).

use actix_web::http::header::{self, Header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{SecondsFormat, Utc};

use super::error::{ApiError, Problem};
use super::extract::{Authorized, Staff, query_pairs};
use crate::app::AppState;
use crate::domain::error::FieldError;
use crate::domain::report::{Count, ProgramReport, Reasons, ReportRange};
use crate::service;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

/// The program's report over a date range: the funnel of the requests made in it, the
/// time from request to agreement, decline and end reasons by category, and, as of now,
/// sponsors by load and waiting seekers by need. Counts from 1 to one less than the
/// deployment's minimum cell size are withheld (`count` null, `suppressed` true), with
/// one more where a total would give them away. Case managers and admins; each reading
/// is on the audit trail.
#[utoipa::path(get, path = "/api/v1/reports", tag = "case managers",
    security(("bearer" = [])),
    params(
        ("from" = Option<String>, Query, description = "first day, YYYY-MM-DD (UTC); default 89 days before to"),
        ("to" = Option<String>, Query, description = "last day, included; default today; at most 1,096 days in all"),
        ("format" = Option<String>, Query, description = "json or csv; without it, Accept: text/csv asks for CSV"),
    ),
    responses(
        (status = 200, description = "the report; as CSV, one row per figure: section, item, value, suppressed",
            content((ProgramReport = "application/json"), (String = "text/csv"))),
        (status = 422, body = Problem),
    ))]
pub async fn report(
    auth: Authorized<Staff>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let now = Utc::now().naive_utc();
    let (range, format) = parse(&req, now.date())?;
    let k = state.settings.reports.minimum_cell_size;
    let report = service::reports::report(&state.db, auth.actor, range, now, k).await?;
    let mut response = HttpResponse::Ok();
    // Which form depends on Accept; and a report is for its reader, not for caches.
    response
        .insert_header((header::VARY, "Accept"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    Ok(match format {
        Format::Json => response.json(report),
        Format::Csv => response
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"report-{}-{}.csv\"",
                    report.from, report.to
                ),
            ))
            .body(as_csv(&report)?),
    })
}

fn parse(req: &HttpRequest, today: chrono::NaiveDate) -> Result<(ReportRange, Format), ApiError> {
    let (mut from, mut to, mut format) = (None, None, None);
    for (key, value) in query_pairs(req.query_string(), &[])? {
        let slot = match key.as_str() {
            "from" => &mut from,
            "to" => &mut to,
            "format" => &mut format,
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown_parameter",
                    "a report takes from, to and format",
                ));
            }
        };
        *slot = Some(value);
    }
    let mut errors = Vec::new();
    let range = ReportRange::parse(from.as_deref(), to.as_deref(), today)
        .map_err(|wrong| errors.extend(wrong.into_vec()))
        .ok();
    let format = match format.as_deref() {
        Some("json") => Some(Format::Json),
        Some("csv") => Some(Format::Csv),
        Some(_) => {
            errors.push(FieldError::new("format", "unknown_format", "json or csv"));
            None
        }
        None => Some(accepted(req)),
    };
    match (range, format) {
        (Some(range), Some(format)) => Ok((range, format)),
        _ => Err(ApiError::Validation(errors)),
    }
}

/// CSV when the client ranks `text/csv` above JSON in `Accept`; JSON otherwise.
fn accepted(req: &HttpRequest) -> Format {
    let ranked = header::Accept::parse(req)
        .map(|accept| accept.ranked())
        .unwrap_or_default();
    let first = ranked.iter().find(|mime| {
        (mime.type_() == mime::TEXT && mime.subtype() == "csv")
            || (mime.type_() == mime::APPLICATION && mime.subtype() == mime::JSON)
    });
    match first {
        Some(mime) if mime.type_() == mime::TEXT => Format::Csv,
        _ => Format::Json,
    }
}

/// One flat table a spreadsheet opens as it is: `section, item, value, suppressed`.
/// A withheld count has an empty value and `yes`.
fn as_csv(report: &ProgramReport) -> Result<Vec<u8>, ApiError> {
    let mut table = Table::default();
    table.value("report", "from", report.from.to_string(), false);
    table.value("report", "to", report.to.to_string(), false);
    table.value(
        "report",
        "as_of",
        report.as_of.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        false,
    );
    let k = report.minimum_cell_size.to_string();
    table.value("report", "minimum_cell_size", k, false);
    let funnel = &report.funnel;
    for (item, count) in [
        ("requests", funnel.requests),
        ("reviewed", funnel.reviewed),
        ("sponsor_accepted", funnel.sponsor_accepted),
        ("agreed", funnel.agreed),
        ("introduced", funnel.introduced),
        (
            "introduced_30_days_before_as_of",
            funnel.active_at_30_days.introduced_long_enough,
        ),
        (
            "still_going_at_30_days",
            funnel.active_at_30_days.still_going,
        ),
        (
            "introduced_90_days_before_as_of",
            funnel.active_at_90_days.introduced_long_enough,
        ),
        (
            "still_going_at_90_days",
            funnel.active_at_90_days.still_going,
        ),
    ] {
        table.count("funnel", item, count);
    }
    let time = &report.time_to_match;
    table.count("time_to_match", "matches", time.matches);
    for (item, hours) in [
        ("median_hours", time.median_hours),
        ("p90_hours", time.p90_hours),
    ] {
        let hours = hours.map(|h| h.to_string()).unwrap_or_default();
        table.value("time_to_match", item, hours, time.suppressed);
    }
    table.reasons("declines", &report.declines);
    table.reasons("ends", &report.ends);
    let load = &report.sponsor_load;
    table.count("sponsor_load", "sponsors", load.sponsors);
    for bucket in &load.by_sponsees {
        table.count("sponsor_load_by_sponsees", &bucket.sponsees, bucket.count);
    }
    let waiting = &report.waiting_seekers;
    table.count("waiting_seekers", "seekers", waiting.seekers);
    table.count("waiting_seekers", "no_stated_need", waiting.no_stated_need);
    for need in &waiting.by_need {
        table.count(
            "waiting_seekers_by_need",
            &enum_name(&need.need),
            need.count,
        );
    }
    table.into_csv()
}

#[derive(Default)]
struct Table {
    rows: Vec<[String; 4]>,
}

impl Table {
    fn value(&mut self, section: &str, item: &str, value: String, suppressed: bool) {
        let suppressed = if suppressed { "yes" } else { "no" };
        self.rows
            .push([section.into(), item.into(), value, suppressed.into()]);
    }

    fn count(&mut self, section: &str, item: &str, count: Count) {
        let value = count.count.map(|n| n.to_string()).unwrap_or_default();
        self.value(section, item, value, count.suppressed);
    }

    fn reasons(&mut self, section: &str, reasons: &Reasons) {
        self.count(section, "total", reasons.total);
        self.count(section, "no_reason_given", reasons.no_reason_given);
        let by_category = format!("{section}_by_category");
        for category in &reasons.by_category {
            self.count(&by_category, &enum_name(&category.category), category.count);
        }
        let by_reason = format!("{section}_by_reason");
        for reason in &reasons.by_reason {
            self.count(&by_reason, &enum_name(&reason.reason), reason.count);
        }
    }

    fn into_csv(self) -> Result<Vec<u8>, ApiError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer
            .write_record(["section", "item", "value", "suppressed"])
            .map_err(|_| ApiError::Internal)?;
        for row in &self.rows {
            writer.write_record(row).map_err(|_| ApiError::Internal)?;
        }
        writer.into_inner().map_err(|_| ApiError::Internal)
    }
}

/// An enum's name as the JSON spells it.
fn enum_name(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}
