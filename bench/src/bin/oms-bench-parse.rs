//! How long a request body of any shape takes to read, at the largest size the WAF lets through
//! (64 KB) and at the function's own limit (256 KiB): the bounded reader of `oms::http::body`
//! (issue 23: a 24 KB body of bad list items once took 17.9 s). Prints a markdown table; run it
//! from `scripts/bench` or alone: `cargo run --release -p oms-bench --bin oms-bench-parse`.

use std::time::{Duration, Instant};

use oms::handlers::input::SkillRequirementsRequest;
use oms::http::ApiError;
use oms::http::body::parse_body;

/// A body of about `size` bytes made of `unit` repeated inside `open` ... `close`.
fn repeated(open: &str, unit: &str, separator: &str, close: &str, size: usize) -> String {
    let mut body = String::from(open);
    let mut first = true;
    while body.len() + unit.len() + close.len() + separator.len() < size {
        if !first {
            body.push_str(separator);
        }
        body.push_str(unit);
        first = false;
    }
    body.push_str(close);
    body
}

fn shapes(size: usize) -> Vec<(&'static str, String)> {
    let item = r#"{"skill_id": null, "custom_name": "Event-driven architecture", "category": "technical", "importance": "must_have", "min_proficiency": "expert"}"#;
    vec![
        (
            "list of bad items `[1, 1, ...]`",
            repeated(r#"{"items": ["#, "1", ",", "]}", size),
        ),
        (
            "4,000 bad items (within the value budget)",
            format!(r#"{{"items": [{}]}}"#, vec!["1"; 4000].join(",")),
        ),
        ("2,000 unknown members (within the budget)", {
            let members: Vec<String> = (0..2000).map(|n| format!("\"f{n}\": 1")).collect();
            format!("{{{}}}", members.join(","))
        }),
        ("50 bad items, long reason", {
            let reason = "x".repeat(size.saturating_sub(200));
            format!(r#"{{"items": [{}], "reason": "{reason}"}}"#, vec!["1"; 50].join(","))
        }),
        ("unknown members `{\"f1\": 1, ...}`", {
            let mut n = 0;
            let mut body = String::from("{");
            while body.len() + 16 < size {
                if n > 0 {
                    body.push(',');
                }
                body.push_str(&format!("\"f{n}\": 1"));
                n += 1;
            }
            body.push('}');
            body
        }),
        (
            "nesting `[[[[...]]]]`",
            format!(
                r#"{{"items": {}{}}}"#,
                "[".repeat(size / 2 - 8),
                "]".repeat(size / 2 - 8)
            ),
        ),
        (
            "one long string",
            format!(r#"{{"items": [], "reason": "{}"}}"#, "y".repeat(size - 32)),
        ),
        (
            "valid: 50 requirements",
            format!(r#"{{"items": [{}]}}"#, vec![item; 50].join(",")),
        ),
    ]
}

fn answer(result: Result<(SkillRequirementsRequest, oms::domain::validation::FieldErrors), ApiError>) -> String {
    match result {
        Ok((_, errors)) if errors.is_empty() => "read".into(),
        Ok((_, errors)) => format!("read, {} findings", errors.into_vec().len()),
        Err(ApiError::Validation(errors)) => format!("422, {} findings", errors.len()),
        Err(error) => format!("{} {}", error.problem(None).status, error.problem(None).code),
    }
}

fn main() {
    let runs = 50;
    println!("| body | bytes | answer | median ms | max ms |\n|---|---:|---|---:|---:|");
    let mut worst = Duration::ZERO;
    for size in [64 * 1024, 256 * 1024] {
        for (name, body) in shapes(size) {
            let mut times = Vec::with_capacity(runs);
            let mut last = String::new();
            for _ in 0..runs {
                let started = Instant::now();
                let result = parse_body::<SkillRequirementsRequest>(body.as_bytes());
                times.push(started.elapsed());
                last = answer(result);
            }
            times.sort_unstable();
            let (median, max) = (times[runs / 2], times[runs - 1]);
            if size == 64 * 1024 {
                worst = worst.max(max);
            }
            println!(
                "| {name} | {} | {last} | {:.3} | {:.3} |",
                body.len(),
                median.as_secs_f64() * 1000.0,
                max.as_secs_f64() * 1000.0
            );
        }
    }
    println!(
        "\nWorst 64 KB body: {:.3} ms (target: under 50 ms, release build).",
        worst.as_secs_f64() * 1000.0
    );
}
