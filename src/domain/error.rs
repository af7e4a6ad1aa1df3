//! Field-level validation errors, collected so a client learns every problem at once.

use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field: a JSON path into the request body, a stable code and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `meeting.in_person.radius_km`.
    pub field: String,
    /// Stable machine-readable code, e.g. `too_long`, `in_future`, `unknown_language`.
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// The same error one level deeper, e.g. `radius_km` under `meeting.in_person`.
    fn under(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_owned()
        } else if self.field.starts_with('[') {
            format!("{prefix}{}", self.field)
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

/// All the problems found in one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn single(error: FieldError) -> Self {
        Self(vec![error])
    }

    /// Keeps the value if it parsed, records the error under `field` otherwise.
    pub fn take<T>(&mut self, field: &str, parsed: Result<T, FieldError>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error.under(field));
                None
            }
        }
    }

    /// Like [`take`](Self::take) for a nested value that reports several errors.
    pub fn take_all<T>(&mut self, field: &str, parsed: Result<T, FieldErrors>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(errors) => {
                self.0.extend(errors.0.into_iter().map(|e| e.under(field)));
                None
            }
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn extend(&mut self, errors: FieldErrors) {
        self.0.extend(errors.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        Self::single(error)
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Vec<&str> = self.0.iter().map(|e| e.field.as_str()).collect();
        write!(f, "invalid fields: {}", fields.join(", "))
    }
}

impl std::error::Error for FieldErrors {}

/// Parses every element of a list, naming failures by index (`languages[2]`).
pub fn parse_list<I, T>(
    items: Vec<I>,
    parse: impl Fn(I) -> Result<T, FieldError>,
) -> Result<Vec<T>, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut parsed = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        if let Some(value) = errors.take(&format!("[{index}]"), parse(item)) {
            parsed.push(value);
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_paths_join_with_dots_and_brackets() {
        let mut errors = FieldErrors::default();
        let inner: Result<(), FieldErrors> = Err(FieldErrors::single(FieldError::new(
            "radius_km",
            "out_of_range",
            "too far",
        )));
        errors.take_all("meeting.in_person", inner);
        let list = parse_list(vec!["ok", "bad"], |s| {
            if s == "bad" {
                Err(FieldError::new("", "invalid", "bad"))
            } else {
                Ok(s)
            }
        });
        errors.take_all("languages", list);
        let fields: Vec<String> = errors.into_vec().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["meeting.in_person.radius_km", "languages[1]"]);
    }
}
