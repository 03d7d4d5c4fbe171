//! A deterministic synthetic data set at production scale, and its loader.
//!
//! Seed 001 expects 10 GB growing 1 GB a month; this module makes data of that shape for any
//! number of opportunities: about 200 Sales Managers owning opportunities with a Zipf-like skew
//! (the busiest owns ~17 %, the quietest a handful), customers with the same skew (key accounts),
//! the skills catalog, opportunities in every status with valid domain values (priorities,
//! currencies with their minor units, timelines, problem statements in Markdown, skill
//! requirements), each one's history (its status path through the lifecycle, field changes,
//! cancellations and reactivations by the owner, the matching and selection services or an
//! Admin), attachments (available, rejected, pending), the outbox and processed events of the
//! last five weeks, idempotency records, user profiles, privacy audit events and export runs.
//!
//! Creation times grow linearly towards [`NOW`] over nine years (more recent data is denser, as a
//! growing service's is); old opportunities are mostly closed, so about 4 % are past the 7-year
//! retention and give the purge work. Everything derives from one seed: opportunity `i` is the
//! same row whatever the size (its random stream is seeded by `i`), so sizes are comparable.
//!
//! [`load`] writes it with `COPY` into a schema the real migrations made: it drops the secondary
//! indexes the migrations created, copies, rebuilds exactly those indexes from their definitions
//! and runs `VACUUM (ANALYZE)` (the usual bulk load; the resulting schema is the migrated one).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures_util::SinkExt;
use oms::domain::attachment::{ALLOWED_CONTENT_TYPES, object_key};
use oms::domain::catalog::name_key;
use oms::domain::events::{ChangeEvent, ChangeKind};
use oms::domain::history::keeps_old_value;
use oms::domain::lifecycle::Status;
use oms::domain::money::minor_units;
use oms::domain::opportunity::{Importance, Priority, Proficiency, SkillCategory};
use serde_json::json;
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};
use tokio_postgres::Client;
use uuid::Uuid;

/// The data set's present: every time in it is before this instant.
pub const NOW: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);
/// How far back creation times go.
pub const SPAN_DAYS: i64 = 9 * 365;
/// The sort key of opportunities without a timeline (the store's `NO_START_DATE`).
const NO_START_DATE: Date = date!(9999 - 12 - 31);
/// Opportunities per generated chunk (one `COPY` per table and chunk).
const CHUNK: usize = 10_000;
/// Outbox and processed events are kept for 30 days (the purge's default); the data set holds
/// five weeks of them, so one week is past retention.
const EVENT_DAYS: i64 = 35;
const MICROS_PER_DAY: i64 = 86_400_000_000;

/// What to generate.
#[derive(Debug, Clone)]
pub struct ScaleConfig {
    /// Opportunities.
    pub opportunities: usize,
    /// Sales Managers owning them.
    pub managers: usize,
    /// The seed of every random choice.
    pub seed: u64,
}

impl ScaleConfig {
    /// `opportunities` with the default population (200 Sales Managers) and seed.
    pub fn new(opportunities: usize) -> ScaleConfig {
        ScaleConfig {
            opportunities,
            managers: 200,
            seed: 0x5eed_0001,
        }
    }

    /// Customers for this many opportunities: one per 50, at least 50.
    pub fn customers(&self) -> usize {
        (self.opportunities / 50).max(50)
    }
}

/// A catalog skill of the data set.
#[derive(Debug, Clone)]
pub struct SkillRow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Category.
    pub category: SkillCategory,
}

/// Who and what the data set holds, for choosing realistic bench parameters.
#[derive(Debug, Clone)]
pub struct Population {
    /// Sales Manager subs, the one owning most opportunities first.
    pub managers: Vec<String>,
    /// Admin subs.
    pub admins: Vec<String>,
    /// Customers (id, name), the one with most opportunities first.
    pub customers: Vec<(Uuid, String)>,
    /// The catalog, the most required skill first.
    pub skills: Vec<SkillRow>,
}

/// A Zipf-like distribution over ranks `0..n`: rank `k` has weight `1 / (k + 1)^s`.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut total = 0.0;
        let cumulative = (0..n.max(1))
            .map(|k| {
                total += 1.0 / ((k + 1) as f64).powf(s);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    fn sample(&self, rng: &mut fastrand::Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let target = rng.f64() * total;
        self.cumulative
            .partition_point(|c| *c < target)
            .min(self.cumulative.len() - 1)
    }
}

fn uuid(rng: &mut fastrand::Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.u128(..).to_le_bytes()).into_uuid()
}

fn hex(rng: &mut fastrand::Rng, bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rng.u8(..))).collect()
}

fn pick<T: Clone>(rng: &mut fastrand::Rng, items: &[T]) -> T {
    items[rng.usize(..items.len())].clone()
}

/// An index by weights (they need not add up to anything in particular).
fn weighted(rng: &mut fastrand::Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut target = rng.u32(..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if target < *w {
            return i;
        }
        target -= w;
    }
    weights.len() - 1
}

fn micros(us: i64) -> Duration {
    Duration::microseconds(us)
}

const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Chiara", "David", "Elif", "Farid", "Greta", "Hiroshi", "Ines", "Jonas", "Keira", "Luca", "Maya",
    "Nikolai", "Olivia", "Pedro", "Quinn", "Rosa", "Samir", "Tanja", "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zoe",
];
const LAST_NAMES: &[&str] = &[
    "Andersen",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksson",
    "Fischer",
    "García",
    "Hoffmann",
    "Ivanova",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "O'Brien",
    "Petrov",
    "Quintero",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Újvári",
    "Vogel",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
];
const COMPANY_PREFIXES: &[&str] = &[
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Woodgrove",
    "Litware",
    "Adatum",
    "Proseware",
    "Lucerne",
    "Wingtip",
    "Alpine",
    "Baltic",
    "Cascade",
    "Delta",
    "Evergreen",
    "Fjord",
    "Granite",
    "Harbor",
    "Iberia",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Meridian",
    "Nordic",
    "Orion",
    "Pacific",
    "Quarry",
    "Riverbend",
    "Summit",
    "Tundra",
    "Union",
    "Vertex",
    "Westbrook",
    "Xenon",
    "Yukon",
    "Zenith",
    "Atlas",
    "Beacon",
    "Crescent",
    "Dune",
];
const COMPANY_CORES: &[&str] = &[
    "Logistics",
    "Insurance",
    "Retail",
    "Energy",
    "Pharma",
    "Telecom",
    "Banking",
    "Foods",
    "Motors",
    "Airlines",
    "Chemicals",
    "Media",
    "Health",
    "Shipping",
    "Steel",
    "Textiles",
    "Software",
    "Utilities",
    "Hotels",
    "Railways",
    "Robotics",
    "Semiconductors",
    "Biotech",
    "Mining",
    "Paper",
    "Glass",
    "Furniture",
    "Cosmetics",
    "Beverages",
    "Toys",
    "Publishing",
    "Construction",
    "Aerospace",
    "Agriculture",
    "Fashion",
    "Gaming",
    "Security",
    "Consulting",
    "Water",
    "Solar",
];
const COMPANY_FORMS: &[&str] = &[
    "AG", "GmbH", "Ltd", "Inc.", "S.A.", "B.V.", "AB", "Oy", "S.p.A.", "K.K.",
];

const TECHNICAL_SKILLS: &[&str] = &[
    "AWS Lambda",
    "Amazon DynamoDB",
    "Amazon Aurora",
    "Amazon S3",
    "Amazon SQS",
    "Amazon EventBridge",
    "AWS Step Functions",
    "Amazon API Gateway",
    "Amazon ECS",
    "Amazon EKS",
    "AWS CDK",
    "AWS CloudFormation",
    "Terraform",
    "Kubernetes",
    "Docker",
    "Apache Kafka",
    "Apache Spark",
    "Apache Flink",
    "Apache Airflow",
    "PostgreSQL",
    "MySQL",
    "Oracle Database",
    "Microsoft SQL Server",
    "MongoDB",
    "Redis",
    "Elasticsearch",
    "OpenSearch",
    "Snowflake",
    "Databricks",
    "dbt",
    "Rust",
    "Go",
    "Java",
    "Kotlin",
    "Scala",
    "Python",
    "TypeScript",
    "JavaScript",
    "C#",
    ".NET",
    "C++",
    "Swift",
    "React",
    "Angular",
    "Vue.js",
    "Node.js",
    "Spring Boot",
    "Quarkus",
    "GraphQL",
    "gRPC",
    "REST API design",
    "OAuth 2.0",
    "OpenID Connect",
    "Amazon Cognito",
    "Keycloak",
    "Zero trust networking",
    "AWS IAM",
    "AWS KMS",
    "PCI DSS",
    "ISO 27001",
    "SOC 2",
    "GDPR engineering",
    "Threat modelling",
    "Penetration testing",
    "SIEM",
    "Amazon SageMaker",
    "Amazon Bedrock",
    "Large language models",
    "Retrieval-augmented generation",
    "MLOps",
    "Computer vision",
    "Forecasting",
    "Recommendation systems",
    "Data mesh",
    "Data lakehouse",
    "Event sourcing",
    "Domain-driven design",
    "Microservices",
    "Serverless architecture",
    "Mainframe modernisation",
    "COBOL",
    "SAP S/4HANA",
    "SAP BTP",
    "Salesforce",
    "ServiceNow",
    "Microsoft Dynamics",
    "Workday",
    "Mulesoft",
    "Boomi",
    "Observability",
    "OpenTelemetry",
    "Prometheus",
    "Grafana",
    "Datadog",
    "Site reliability engineering",
    "Chaos engineering",
    "CI/CD",
    "GitHub Actions",
    "GitLab CI",
    "Jenkins",
    "Argo CD",
    "FinOps",
    "Cost optimisation",
    "Well-Architected reviews",
    "Disaster recovery",
    "Multi-region architecture",
    "Networking",
    "AWS Transit Gateway",
    "Amazon CloudFront",
    "Edge computing",
    "IoT",
    "AWS IoT Core",
    "Embedded Linux",
    "Digital twins",
    "Blockchain",
    "Quantum computing",
    "Contact centre (Amazon Connect)",
    "Video streaming",
    "Media transcoding",
    "Geospatial data",
    "High-performance computing",
    "Windows workloads on AWS",
    "VMware migration",
    "Database migration",
    "Application modernisation",
    "Mobile backends",
    "Flutter",
    "Android",
    "iOS",
];
const SOFT_SKILLS: &[&str] = &[
    "Stakeholder management",
    "Executive communication",
    "Workshop facilitation",
    "Technical writing",
    "Mentoring",
    "Negotiation",
    "Change management",
    "Agile coaching",
    "Product discovery",
    "Pre-sales",
    "Conflict resolution",
    "Cross-cultural teams",
    "Design thinking",
    "Public speaking",
];
const INDUSTRY_SKILLS: &[&str] = &[
    "Retail banking",
    "Capital markets",
    "Insurance claims",
    "Healthcare (HL7 FHIR)",
    "Life sciences (GxP)",
    "Automotive",
    "Manufacturing (Industry 4.0)",
    "Energy trading",
    "Utilities metering",
    "Telecommunications (OSS/BSS)",
    "Media and entertainment",
    "Public sector",
    "Defence",
    "Education",
    "Travel and hospitality",
    "Airlines",
    "Logistics",
    "E-commerce",
    "Gaming",
    "Agriculture",
    "Mining",
    "Real estate",
    "Payments",
    "Sports",
];
const LANGUAGE_SKILLS: &[&str] = &[
    "English",
    "German",
    "French",
    "Spanish",
    "Italian",
    "Portuguese",
    "Dutch",
    "Swedish",
    "Polish",
    "Japanese",
    "Mandarin",
    "Korean",
    "Arabic",
    "Hindi",
    "Turkish",
];
const GEOGRAPHY_SKILLS: &[&str] = &[
    "DACH",
    "Nordics",
    "Benelux",
    "France",
    "Iberia",
    "Italy",
    "UK and Ireland",
    "Central and Eastern Europe",
    "Middle East",
    "Africa",
    "India",
    "Japan",
    "Greater China",
    "South-East Asia",
    "Australia and New Zealand",
    "North America",
    "Latin America",
    "Brazil",
];
const CUSTOM_SKILLS: &[&str] = &[
    "IBM MQ",
    "AS/400",
    "Siebel CRM",
    "Lotus Notes migration",
    "Temenos T24",
    "Guidewire",
    "Murex",
    "Avaloq",
    "SWIFT messaging",
    "EDIFACT",
    "OPC UA",
    "PLC programming",
    "SCADA",
    "Pega",
    "Informatica",
    "Talend",
];

const VERBS: &[&str] = &[
    "Migrate",
    "Modernise",
    "Build",
    "Design",
    "Assess",
    "Optimise",
    "Secure",
    "Automate",
    "Scale",
    "Re-platform",
    "Consolidate",
    "Launch",
    "Harden",
    "Replace",
    "Integrate",
];
const OBJECTS: &[&str] = &[
    "order platform",
    "data lake",
    "payment gateway",
    "CRM integration",
    "analytics pipeline",
    "mobile backend",
    "identity platform",
    "ERP landscape",
    "event streaming backbone",
    "contact centre",
    "supply chain portal",
    "billing engine",
    "claims processing",
    "pricing service",
    "customer data platform",
    "warehouse management",
    "document management",
    "reporting stack",
    "search service",
    "loyalty programme",
    "booking engine",
    "fraud detection",
    "recommendation engine",
    "IoT telemetry",
    "HR self-service portal",
    "trading platform",
];
const SUFFIXES: &[&str] = &[
    "to serverless",
    "on Kubernetes",
    "with Kafka",
    "for the EU region",
    "on AWS",
    "with zero downtime",
    "for the holiday peak",
    "onto SAP S/4HANA",
    "with generative AI",
    "for 10x growth",
    "across three regions",
    "before the licence renewal",
    "for PCI DSS compliance",
    "with event sourcing",
    "in six months",
];
const SENTENCES: &[&str] = &[
    "The current system was built over fifteen years and nobody fully understands its batch jobs.",
    "Checkout latency doubles during seasonal peaks and the team scales by hand.",
    "Licensing costs of the existing database grow faster than revenue.",
    "The customer wants a measurable reduction of operating cost within the first year.",
    "Regulators require an audit trail of every change to customer records.",
    "Releases happen once a quarter and each one needs a weekend of downtime.",
    "Three acquisitions left the company with four overlapping customer databases.",
    "The data team waits up to a day for yesterday's numbers.",
    "Security findings from the last penetration test are still open.",
    "The board asked for a plan to use generative AI responsibly.",
    "Partners integrate through nightly file transfers that fail silently.",
    "The mobile app times out on slow networks in rural areas.",
    "An on-premises data centre closes at the end of next year.",
    "Customer support cannot see the status of an order in real time.",
    "The platform must serve customers in the EU without moving their data abroad.",
];
const BULLETS: &[&str] = &[
    "Cut p95 latency of the order API below 200 ms",
    "Retire the on-premises message broker",
    "Keep personal data in the EU regions",
    "Automate environment creation with infrastructure as code",
    "Reach 99.95 % availability measured monthly",
    "Give analysts data that is at most 15 minutes old",
    "Reduce the monthly infrastructure bill by 30 %",
    "Pass the next PCI DSS audit without findings",
    "Ship weekly instead of quarterly",
    "Train the in-house team to run the platform",
    "Replace custom authentication with the corporate identity provider",
    "Handle ten times today's peak traffic",
];
const CANCEL_REASONS: &[&str] = &[
    "The customer chose another partner.",
    "Budget was frozen for this fiscal year.",
    "The project was merged into a larger programme.",
    "The customer decided to build it in-house.",
    "No suitable architect was available in time.",
    "Duplicate of another opportunity.",
];
const ATTACHMENT_STEMS: &[&str] = &[
    "architecture-overview",
    "rfp",
    "current-state-diagram",
    "cost-model",
    "security-questionnaire",
    "statement-of-work",
    "meeting-notes",
    "requirements",
    "data-flow",
    "migration-plan",
];

/// The file extension of an allowed media type.
fn extension(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "pdf",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/vnd.ms-powerpoint" => "ppt",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => "pptx",
        "text/plain" => "txt",
        "text/csv" => "csv",
        "text/markdown" => "md",
        "image/png" => "png",
        "application/vnd.oasis.opendocument.text" => "odt",
        "application/vnd.oasis.opendocument.spreadsheet" => "ods",
        "application/vnd.oasis.opendocument.presentation" => "odp",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => "bin",
    }
}

/// Currencies by share of opportunities (USD, EUR and GBP most; JPY with no minor units, KWD and
/// BHD with three).
const CURRENCIES: &[(&str, u32)] = &[
    ("USD", 40),
    ("EUR", 25),
    ("GBP", 9),
    ("JPY", 5),
    ("CHF", 4),
    ("CAD", 3),
    ("AUD", 3),
    ("SEK", 2),
    ("INR", 2),
    ("BRL", 2),
    ("SGD", 2),
    ("KWD", 1),
    ("BHD", 1),
    ("PLN", 1),
];

/// Writes rows in PostgreSQL's `COPY ... FROM STDIN` text format.
#[derive(Default)]
struct CopyRows {
    buf: String,
    rows: u64,
    open: bool,
}

impl CopyRows {
    fn sep(&mut self) {
        if self.open {
            self.buf.push('\t');
        }
        self.open = true;
    }

    fn text(&mut self, value: &str) -> &mut Self {
        self.sep();
        for c in value.chars() {
            match c {
                '\\' => self.buf.push_str("\\\\"),
                '\t' => self.buf.push_str("\\t"),
                '\n' => self.buf.push_str("\\n"),
                '\r' => self.buf.push_str("\\r"),
                other => self.buf.push(other),
            }
        }
        self
    }

    fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.push_str("\\N");
        self
    }

    fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    fn plain(&mut self, value: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write as _;
        self.sep();
        let _ = write!(self.buf, "{value}");
        self
    }

    fn opt_plain(&mut self, value: Option<impl std::fmt::Display>) -> &mut Self {
        match value {
            Some(v) => self.plain(v),
            None => self.null(),
        }
    }

    fn at(&mut self, t: OffsetDateTime) -> &mut Self {
        use std::fmt::Write as _;
        self.sep();
        let _ = write!(
            self.buf,
            "{} {:02}:{:02}:{:02}.{:06}+00",
            t.date(),
            t.hour(),
            t.minute(),
            t.second(),
            t.microsecond()
        );
        self
    }

    fn opt_at(&mut self, t: Option<OffsetDateTime>) -> &mut Self {
        match t {
            Some(t) => self.at(t),
            None => self.null(),
        }
    }

    fn end(&mut self) {
        self.buf.push('\n');
        self.rows += 1;
        self.open = false;
    }
}

/// The tables in load order (parents first), with the columns the generator writes.
const TABLES: &[(&str, &str)] = &[
    ("customers", "id, name, name_key, created_by, created_at"),
    (
        "skills",
        "id, name, name_key, category, description, created_at, created_by",
    ),
    (
        "user_profiles",
        "sub, email, name, group_names, first_seen_at, last_seen_at",
    ),
    (
        "opportunities",
        "id, owner_sub, customer_id, title, description, priority, priority_rank, arr_amount, arr_currency, \
         start_date, end_date, duration_days, flexible, specific_days, start_date_key, problem_statement, status, \
         status_before_cancel, cancelled_at, version, created_at, updated_at",
    ),
    (
        "skill_requirements",
        "opportunity_id, position, skill_id, custom_name, category, importance, min_proficiency",
    ),
    (
        "opportunity_history",
        "opportunity_id, seq, kind, at, actor, from_status, to_status, field, old_value, new_value, reason",
    ),
    (
        "attachments",
        "id, opportunity_id, owner_sub, file_name, content_type, size_bytes, sha256, object_key, status, \
         rejection_reason, created_at, upload_expires_at, completed_at",
    ),
    (
        "outbox_events",
        "id, event_type, aggregate_id, aggregate_version, occurred_at, payload, published_at",
    ),
    ("processed_events", "event_id, processed_at"),
    (
        "idempotency_records",
        "caller_sub, idempotency_key, request_hash, status_code, response_headers, response_body, created_at, expires_at",
    ),
    ("audit_events", "id, at, actor_id, action, subject_id, details"),
    (
        "export_runs",
        "run_seq, lower_bound, upper_bound, status, parts_started, records, manifest_key, started_at, completed_at",
    ),
];

/// One buffer per table of [`TABLES`].
struct Batch {
    tables: Vec<CopyRows>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            tables: TABLES.iter().map(|_| CopyRows::default()).collect(),
        }
    }

    fn table(&mut self, name: &str) -> &mut CopyRows {
        let index = TABLES.iter().position(|(t, _)| *t == name).unwrap_or(0);
        &mut self.tables[index]
    }
}

/// Everything a row needs to know about the population.
struct Generator {
    config: ScaleConfig,
    population: Population,
    owners: Zipf,
    customers: Zipf,
    skills: Zipf,
}

/// A change in an opportunity's life, before times are given.
enum Step {
    Status { from: Option<Status>, to: Status },
    Field(&'static str),
}

impl Population {
    /// The population of `config` (deterministic).
    pub fn new(config: &ScaleConfig) -> Population {
        let mut rng = fastrand::Rng::with_seed(config.seed);
        let managers = (0..config.managers).map(|_| uuid(&mut rng).to_string()).collect();
        let admins = (0..3).map(|_| uuid(&mut rng).to_string()).collect();
        let forms = COMPANY_FORMS.len();
        let cores = COMPANY_CORES.len();
        let prefixes = COMPANY_PREFIXES.len();
        let customers = (0..config.customers())
            .map(|i| {
                let combination = i % (forms * cores * prefixes);
                let prefix = COMPANY_PREFIXES[combination % prefixes];
                let core = COMPANY_CORES[(combination / prefixes) % cores];
                let form = COMPANY_FORMS[combination / (prefixes * cores)];
                let round = i / (forms * cores * prefixes);
                let name = if round == 0 {
                    format!("{prefix} {core} {form}")
                } else {
                    format!("{prefix} {core} {} {form}", round + 1)
                };
                (uuid(&mut rng), name)
            })
            .collect();
        let categories: [(SkillCategory, &[&str]); 5] = [
            (SkillCategory::Technical, TECHNICAL_SKILLS),
            (SkillCategory::Soft, SOFT_SKILLS),
            (SkillCategory::Industry, INDUSTRY_SKILLS),
            (SkillCategory::Language, LANGUAGE_SKILLS),
            (SkillCategory::Geography, GEOGRAPHY_SKILLS),
        ];
        let mut skills: Vec<SkillRow> = categories
            .iter()
            .flat_map(|(category, names)| {
                names.iter().map(|name| SkillRow {
                    id: Uuid::nil(),
                    name: (*name).to_owned(),
                    category: *category,
                })
            })
            .collect();
        rng.shuffle(&mut skills);
        for skill in &mut skills {
            skill.id = uuid(&mut rng);
        }
        Population {
            managers,
            admins,
            customers,
            skills,
        }
    }
}

impl Generator {
    fn new(config: &ScaleConfig) -> Generator {
        let population = Population::new(config);
        Generator {
            owners: Zipf::new(population.managers.len(), 1.0),
            customers: Zipf::new(population.customers.len(), 0.9),
            skills: Zipf::new(population.skills.len(), 0.8),
            config: config.clone(),
            population,
        }
    }

    fn span_start() -> OffsetDateTime {
        NOW - Duration::days(SPAN_DAYS)
    }

    /// Customers, skills, user profiles, audit events and export runs.
    fn fixed_tables(&self, batch: &mut Batch) {
        let mut rng = fastrand::Rng::with_seed(self.config.seed ^ 0xC0FF_EE00);
        let start = Self::span_start();
        let p = &self.population;
        for (id, name) in &p.customers {
            let created_by = &p.managers[self.owners.sample(&mut rng)];
            batch
                .table("customers")
                .plain(id)
                .text(name)
                .text(&name_key(name))
                .text(created_by)
                .at(start - micros(rng.i64(0..365 * MICROS_PER_DAY)));
            batch.table("customers").end();
        }
        for skill in &p.skills {
            let created_by = if rng.u8(..10) < 7 {
                pick(&mut rng, &p.admins)
            } else {
                p.managers[self.owners.sample(&mut rng)].clone()
            };
            let description =
                (rng.u8(..3) > 0).then(|| format!("Hands-on experience with {} in production projects.", skill.name));
            batch
                .table("skills")
                .plain(skill.id)
                .text(&skill.name)
                .text(&name_key(&skill.name))
                .text(skill.category.as_str())
                .opt_text(description.as_deref())
                .at(start - micros(rng.i64(0..365 * MICROS_PER_DAY)))
                .text(&created_by);
            batch.table("skills").end();
        }
        let people = p
            .managers
            .iter()
            .map(|s| (s, "[\"SalesManager\"]"))
            .chain(p.admins.iter().map(|s| (s, "[\"Admin\"]")));
        for (i, (sub, groups)) in people.enumerate() {
            let first = FIRST_NAMES[i % FIRST_NAMES.len()];
            let last = LAST_NAMES[(i / FIRST_NAMES.len() + i) % LAST_NAMES.len()];
            let email = format!(
                "{}.{}{}@example.com",
                first.to_lowercase(),
                last.to_lowercase().replace('\'', ""),
                i
            );
            batch
                .table("user_profiles")
                .text(sub)
                .text(&email)
                .text(&format!("{first} {last}"))
                .text(groups)
                .at(start + micros(rng.i64(0..30 * MICROS_PER_DAY)))
                .at(NOW - micros(rng.i64(0..14 * MICROS_PER_DAY)));
            batch.table("user_profiles").end();
        }
        for _ in 0..(20 + self.config.opportunities / 5000) {
            let erasure = rng.u8(..10) == 0;
            let subject = pick(&mut rng, &p.managers);
            let details = if erasure {
                json!({ "pseudonym": format!("erased-{}", uuid(&mut rng)), "texts_scrubbed": rng.u32(0..40) })
            } else {
                json!({ "opportunities": rng.u32(0..5000), "history": rng.u32(0..30000) })
            };
            batch
                .table("audit_events")
                .plain(uuid(&mut rng))
                .at(NOW - micros(rng.i64(0..730 * MICROS_PER_DAY)))
                .text(&pick(&mut rng, &p.admins))
                .text(if erasure { "privacy_erasure" } else { "privacy_export" })
                .text(&subject)
                .text(&details.to_string());
            batch.table("audit_events").end();
        }
        for run in 1..=60_i64 {
            let lower = NOW - Duration::days(61 - run);
            let upper = lower + Duration::days(1);
            let started = upper + Duration::minutes(5);
            batch
                .table("export_runs")
                .plain(run)
                .at(lower)
                .at(upper)
                .text("completed")
                .plain(1)
                .plain(rng.u64(0..(self.config.opportunities as u64 / 500 + 10)))
                .text(&format!("exports/run-{run:010}/manifest.json"))
                .at(started)
                .at(started + Duration::seconds(rng.i64(5..120)));
            batch.table("export_runs").end();
        }
    }

    /// The final status of an opportunity created `age_days` ago.
    fn final_status(rng: &mut fastrand::Rng, age_days: i64) -> Status {
        use Status::*;
        const ORDER: [Status; 7] = [
            Draft,
            Submitted,
            MatchingInProgress,
            MatchesFound,
            ArchitectSelected,
            Completed,
            Cancelled,
        ];
        let weights: [u32; 7] = if age_days > 365 {
            [0, 0, 0, 0, 3, 67, 30]
        } else if age_days > 90 {
            [5, 5, 5, 10, 25, 35, 15]
        } else {
            [25, 20, 15, 15, 12, 5, 8]
        };
        ORDER[weighted(rng, &weights)]
    }

    fn amount(rng: &mut fastrand::Rng, currency: &str) -> String {
        let units = minor_units(currency).unwrap_or(2);
        let scale = if currency == "JPY" { 150.0 } else { 1.0 };
        let major = ((5_000f64.ln() + rng.f64() * (5_000_000f64.ln() - 5_000f64.ln())).exp() * scale) as u64;
        match units {
            0 => major.to_string(),
            n => {
                let frac = rng.u64(..10u64.pow(n));
                format!("{major}.{frac:0width$}", width = n as usize)
            }
        }
    }

    fn problem_statement(rng: &mut fastrand::Rng) -> String {
        let mut text = String::from("## Context\n\n");
        for _ in 0..rng.usize(2..=6) {
            text.push_str(pick(rng, SENTENCES));
            text.push(' ');
        }
        text.push_str("\n\n## Goals\n\n");
        for _ in 0..rng.usize(2..=6) {
            text.push_str("- ");
            text.push_str(pick(rng, BULLETS));
            text.push('\n');
        }
        if rng.bool() {
            text.push_str("\n## Constraints\n\n");
            for _ in 0..rng.usize(1..=10) {
                text.push_str(pick(rng, SENTENCES));
                text.push(' ');
            }
            text.push('\n');
        }
        text
    }

    /// Opportunity `index` with its requirements, history, attachments and recent events.
    fn opportunity(&self, index: usize, batch: &mut Batch) {
        let mut rng =
            fastrand::Rng::with_seed(self.config.seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let p = &self.population;
        let id = uuid(&mut rng);
        let owner = &p.managers[self.owners.sample(&mut rng)];
        let (customer_id, customer_name) = &p.customers[self.customers.sample(&mut rng)];
        let span = SPAN_DAYS * MICROS_PER_DAY;
        // Density growing linearly towards NOW: t = span * sqrt(u) from the start.
        let before_now = ((span as f64) * (1.0 - rng.f64().sqrt())) as i64;
        let before_now = before_now.max(3_600_000_000);
        let created = NOW - micros(before_now);
        let age_days = before_now / MICROS_PER_DAY;
        let status = Self::final_status(&mut rng, age_days);

        let priority = Priority::ALL[weighted(&mut rng, &[30, 40, 22, 8])];
        let currency = CURRENCIES[weighted(&mut rng, &CURRENCIES.iter().map(|(_, w)| *w).collect::<Vec<_>>())].0;
        let amount = Self::amount(&mut rng, currency);
        let short_customer = customer_name.split(' ').next().unwrap_or("the customer");
        let title = format!(
            "{} {} {} ({short_customer})",
            pick(&mut rng, VERBS),
            pick(&mut rng, OBJECTS),
            pick(&mut rng, SUFFIXES)
        );
        let description = (0..rng.usize(2..=5))
            .map(|_| pick(&mut rng, SENTENCES))
            .collect::<Vec<_>>()
            .join(" ");
        let forward = status != Status::Draft;
        let problem = (rng.u8(..100) < if forward { 90 } else { 40 }).then(|| Self::problem_statement(&mut rng));

        // Timeline: most have one, starting one week to six months after creation.
        let timeline = (rng.u8(..100) < 85).then(|| {
            let start = created.date() + Duration::days(rng.i64(7..=180));
            let length = rng.i64(5..=365);
            let (end, duration) = if rng.u8(..10) < 6 {
                (Some(start + Duration::days(length)), None)
            } else {
                (None, Some(length))
            };
            let mut days: Vec<Date> = if rng.u8(..10) == 0 {
                (0..rng.usize(1..=3))
                    .map(|_| start + Duration::days(rng.i64(0..=length)))
                    .collect()
            } else {
                Vec::new()
            };
            days.sort();
            days.dedup();
            (start, end, duration, rng.u8(..10) < 4, days)
        });

        // The status path, with an occasional cancellation and reactivation on the way.
        let forward_path = [
            Status::Draft,
            Status::Submitted,
            Status::MatchingInProgress,
            Status::MatchesFound,
            Status::ArchitectSelected,
            Status::Completed,
        ];
        let mut steps: Vec<Step> = vec![Step::Status {
            from: None,
            to: Status::Draft,
        }];
        let (reached, cancelled_from) = match status {
            Status::Cancelled => (weighted(&mut rng, &[30, 25, 15, 15, 15]), true),
            other => (forward_path.iter().position(|s| *s == other).unwrap_or(0), false),
        };
        let reactivated_at = (reached >= 1 && rng.u8(..100) < 3).then(|| rng.usize(0..reached));
        for k in 1..=reached {
            if reactivated_at == Some(k - 1) {
                let previous = forward_path[k - 1];
                steps.push(Step::Status {
                    from: Some(previous),
                    to: Status::Cancelled,
                });
                steps.push(Step::Status {
                    from: Some(Status::Cancelled),
                    to: previous,
                });
            }
            steps.push(Step::Status {
                from: Some(forward_path[k - 1]),
                to: forward_path[k],
            });
        }
        if cancelled_from {
            steps.push(Step::Status {
                from: Some(forward_path[reached]),
                to: Status::Cancelled,
            });
        }
        let status_before_cancel = cancelled_from.then(|| forward_path[reached]);
        let mut fields: Vec<&'static str> = vec!["priority", "title", "annual_recurring_revenue", "description"];
        if problem.is_some() {
            fields.push("problem_statement");
        }
        rng.shuffle(&mut fields);
        for field in fields.into_iter().take(weighted(&mut rng, &[45, 30, 15, 10])) {
            let at = rng.usize(1..=steps.len());
            steps.insert(at, Step::Field(field));
        }

        // Times: the life of the opportunity is up to 500 days after creation, never past NOW.
        let life = ((rng.f64() * 0.95 + 0.05) * before_now.min(500 * MICROS_PER_DAY) as f64) as i64;
        let mut offsets: Vec<i64> = (1..steps.len()).map(|_| rng.i64(1..=life.max(1))).collect();
        offsets.sort_unstable();
        let times: Vec<OffsetDateTime> = std::iter::once(created)
            .chain(offsets.iter().map(|o| created + micros(*o)))
            .collect();

        let admin = pick(&mut rng, &p.admins);
        let mut version: i64 = 0;
        let mut cancelled_at = None;
        let event_window = NOW - Duration::days(EVENT_DAYS);
        for (seq, (step, at)) in steps.iter().zip(&times).enumerate() {
            version += 1;
            let history = batch.table("opportunity_history");
            history.plain(id).plain(seq + 1);
            let (actor, event_kind) = match step {
                Step::Status { from, to } => {
                    let actor = match to {
                        Status::MatchingInProgress | Status::MatchesFound => "matching-service".to_owned(),
                        Status::ArchitectSelected | Status::Completed => "selection-service".to_owned(),
                        _ if rng.u8(..20) == 0 => admin.clone(),
                        _ => owner.clone(),
                    };
                    let reason = (*to == Status::Cancelled).then(|| pick(&mut rng, CANCEL_REASONS));
                    if *to == Status::Cancelled {
                        cancelled_at = Some(*at);
                    }
                    history
                        .text("status")
                        .at(*at)
                        .text(&actor)
                        .opt_text(from.map(|s| s.as_str()))
                        .text(to.as_str())
                        .null()
                        .null()
                        .null()
                        .opt_text(reason);
                    let kind = match (from, to) {
                        (None, _) => ChangeKind::OpportunityCreated,
                        (_, Status::Submitted) => ChangeKind::OpportunitySubmitted,
                        (_, Status::Cancelled) => ChangeKind::OpportunityCancelled,
                        (Some(Status::Cancelled), _) => ChangeKind::OpportunityReactivated,
                        _ => ChangeKind::OpportunityStatusChanged,
                    };
                    (actor, kind)
                }
                Step::Field(field) => {
                    let actor = if rng.u8(..10) == 0 {
                        admin.clone()
                    } else {
                        owner.clone()
                    };
                    let (old, new) = match *field {
                        "priority" => {
                            let old = Priority::ALL[(priority.rank() as usize) % Priority::ALL.len()];
                            (json!(old.as_str()), json!(priority.as_str()))
                        }
                        "title" => (json!(format!("{} (draft)", pick(&mut rng, OBJECTS))), json!(title)),
                        "annual_recurring_revenue" => (
                            json!({ "amount": Self::amount(&mut rng, currency), "currency": currency }),
                            json!({ "amount": amount, "currency": currency }),
                        ),
                        "description" => (json!(pick(&mut rng, SENTENCES)), json!(description)),
                        _ => (json!(null), json!(problem.clone().unwrap_or_default())),
                    };
                    let old = keeps_old_value(field).then(|| old.to_string());
                    history
                        .text("field")
                        .at(*at)
                        .text(&actor)
                        .null()
                        .null()
                        .text(field)
                        .opt_text(old.as_deref())
                        .text(&new.to_string())
                        .null();
                    (actor, ChangeKind::OpportunityUpdated)
                }
            };
            history.end();
            if *at > event_window {
                let event_id = self.event(&mut rng, batch, id, version, *at, event_kind, &status, owner);
                if actor.ends_with("-service") {
                    batch.table("processed_events").plain(event_id).at(*at);
                    batch.table("processed_events").end();
                }
                if seq == 0 && *at > NOW - Duration::days(3) {
                    batch
                        .table("idempotency_records")
                        .text(owner)
                        .plain(uuid(&mut rng))
                        .text(&hex(&mut rng, 32))
                        .plain(201)
                        .text("[[\"content-type\",\"application/json\"]]")
                        .text(&json!({ "id": id }).to_string())
                        .at(*at)
                        .at(*at + Duration::hours(24));
                    batch.table("idempotency_records").end();
                }
            }
        }
        let mut updated = *times.last().unwrap_or(&created);

        // Attachments, registered during the opportunity's life.
        for _ in 0..[0usize, 1, 2, 3, 5, 8][weighted(&mut rng, &[45, 25, 15, 9, 5, 1])] {
            let attachment_id = uuid(&mut rng);
            let content_type = pick(&mut rng, ALLOWED_CONTENT_TYPES);
            let file_name = format!(
                "{}-{}.{}",
                pick(&mut rng, ATTACHMENT_STEMS),
                rng.u16(1..100),
                extension(content_type)
            );
            let size = (20_000f64.ln() + rng.f64() * (20_000_000f64.ln() - 20_000f64.ln())).exp() as i64;
            let registered = created + micros(rng.i64(0..=life.max(1)));
            let state = weighted(&mut rng, &[88, 4, 8]);
            let (status_text, sha, reason, completed) = match state {
                0 => (
                    "available",
                    Some(hex(&mut rng, 32)),
                    None,
                    Some(registered + Duration::seconds(rng.i64(2..60))),
                ),
                1 => (
                    "rejected",
                    Some(hex(&mut rng, 32)),
                    Some("the uploaded object does not match the registered size or checksum"),
                    Some(registered + Duration::seconds(rng.i64(2..60))),
                ),
                _ => ("pending", Some(hex(&mut rng, 32)), None, None),
            };
            version += if completed.is_some() { 2 } else { 1 };
            let last = completed.unwrap_or(registered);
            if last > updated {
                updated = last;
            }
            batch
                .table("attachments")
                .plain(attachment_id)
                .plain(id)
                .text(owner)
                .text(&file_name)
                .text(content_type)
                .plain(size)
                .opt_text(sha.as_deref())
                .text(&object_key(id, attachment_id))
                .text(status_text)
                .opt_text(reason)
                .at(registered)
                .at(registered + Duration::minutes(15))
                .opt_at(completed);
            batch.table("attachments").end();
            if registered > event_window {
                let kind = match status_text {
                    "available" => ChangeKind::AttachmentAvailable,
                    "rejected" => ChangeKind::AttachmentRejected,
                    _ => ChangeKind::AttachmentRegistered,
                };
                self.event(&mut rng, batch, id, version, last, kind, &status, owner);
            }
        }

        // Skill requirements: submitted ones have at least one must-have.
        let count = if forward { rng.usize(1..=8) } else { rng.usize(0..=4) };
        let mut chosen: Vec<usize> = Vec::new();
        let mut custom: Vec<&str> = Vec::new();
        for position in 0..count {
            let catalog = rng.u8(..100) < 85;
            let importance = if position == 0 && forward || rng.u8(..10) < 6 {
                Importance::MustHave
            } else {
                Importance::NiceToHave
            };
            let proficiency = Proficiency::ALL[weighted(&mut rng, &[10, 40, 35, 15])];
            let requirements = batch.table("skill_requirements");
            if catalog {
                let mut skill = self.skills.sample(&mut rng);
                while chosen.contains(&skill) {
                    skill = (skill + 1) % p.skills.len();
                }
                chosen.push(skill);
                let row = &p.skills[skill];
                requirements
                    .plain(id)
                    .plain(position)
                    .plain(row.id)
                    .null()
                    .text(row.category.as_str());
            } else {
                let mut name = pick(&mut rng, CUSTOM_SKILLS);
                while custom.contains(&name) {
                    name = pick(&mut rng, CUSTOM_SKILLS);
                }
                custom.push(name);
                requirements
                    .plain(id)
                    .plain(position)
                    .null()
                    .text(name)
                    .text(SkillCategory::Technical.as_str());
            }
            requirements.text(importance.as_str()).text(proficiency.as_str());
            requirements.end();
        }

        let o = batch.table("opportunities");
        o.plain(id)
            .text(owner)
            .plain(customer_id)
            .text(&title)
            .text(&description)
            .text(priority.as_str())
            .plain(priority.rank())
            .text(&amount)
            .text(currency);
        match &timeline {
            Some((start, end, duration, flexible, days)) => {
                let days_json = serde_json::to_string(&days.iter().map(|d| d.to_string()).collect::<Vec<_>>())
                    .unwrap_or_else(|_| "[]".into());
                o.plain(start)
                    .opt_plain(end.as_ref())
                    .opt_plain(duration.as_ref())
                    .plain(flexible)
                    .text(&days_json)
                    .plain(start);
            }
            None => {
                o.null().null().null().null().null().plain(NO_START_DATE);
            }
        }
        o.opt_text(problem.as_deref())
            .text(status.as_str())
            .opt_text(status_before_cancel.map(|s| s.as_str()))
            .opt_at(if status == Status::Cancelled {
                cancelled_at
            } else {
                None
            })
            .plain(version)
            .at(created)
            .at(updated);
        o.end();
    }

    /// An outbox row (published unless it is from the last ten minutes); its id.
    #[allow(clippy::too_many_arguments)]
    fn event(
        &self,
        rng: &mut fastrand::Rng,
        batch: &mut Batch,
        aggregate: Uuid,
        version: i64,
        at: OffsetDateTime,
        kind: ChangeKind,
        status: &Status,
        owner: &str,
    ) -> Uuid {
        let event = ChangeEvent {
            id: uuid(rng),
            event_type: kind,
            aggregate_id: aggregate,
            aggregate_version: version,
            occurred_at: at,
            detail: json!({ "status": status.as_str(), "owner_id": owner }),
        };
        let payload = serde_json::to_string(&event).unwrap_or_default();
        let published = (at < NOW - Duration::minutes(10)).then(|| at + Duration::seconds(rng.i64(1..5)));
        batch
            .table("outbox_events")
            .plain(event.id)
            .text(kind.as_str())
            .plain(aggregate)
            .plain(version)
            .at(at)
            .text(&payload)
            .opt_at(published);
        batch.table("outbox_events").end();
        event.id
    }
}

/// What a load wrote and how long it took.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Rows per table, in load order.
    pub rows: Vec<(&'static str, u64)>,
    /// Seconds generating and copying the rows (concurrently).
    pub copy_seconds: f64,
    /// Seconds rebuilding the secondary indexes.
    pub index_seconds: f64,
    /// Seconds of `VACUUM (ANALYZE)`.
    pub analyze_seconds: f64,
}

impl LoadReport {
    /// Every row written.
    pub fn total_rows(&self) -> u64 {
        self.rows.iter().map(|(_, n)| n).sum()
    }
}

/// Sends one batch: a `COPY` per table that has rows.
async fn copy_batch(client: &Client, batch: Batch, report: &mut LoadReport) -> Result<(), tokio_postgres::Error> {
    for ((table, columns), rows) in TABLES.iter().zip(batch.tables) {
        if rows.rows == 0 {
            continue;
        }
        let sink = client
            .copy_in::<_, Bytes>(&format!("COPY {table} ({columns}) FROM STDIN"))
            .await?;
        let mut sink = std::pin::pin!(sink);
        sink.send(Bytes::from(rows.buf)).await?;
        sink.as_mut().finish().await?;
        match report.rows.iter_mut().find(|(t, _)| t == table) {
            Some((_, n)) => *n += rows.rows,
            None => report.rows.push((table, rows.rows)),
        }
    }
    Ok(())
}

/// The secondary indexes (those no constraint owns) of the current schema: (name, definition).
async fn secondary_indexes(client: &Client) -> Result<Vec<(String, String)>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Loads the data set of `config` into the (migrated, empty) schema `client` works in. `bulk`
/// drops the secondary indexes before copying and rebuilds them after (much faster at scale);
/// without it every row goes through every index, as production writes do.
pub async fn load(
    client: &Client,
    config: &ScaleConfig,
    bulk: bool,
) -> Result<(Population, LoadReport), tokio_postgres::Error> {
    let generator = Arc::new(Generator::new(config));
    let mut report = LoadReport::default();
    client
        .batch_execute("SET synchronous_commit = off; SET maintenance_work_mem = '512MB'")
        .await?;
    let indexes = if bulk {
        secondary_indexes(client).await?
    } else {
        Vec::new()
    };
    for (name, _) in &indexes {
        client.batch_execute(&format!("DROP INDEX {name}")).await?;
    }

    let started = Instant::now();
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Batch>(2);
    let producer = {
        let generator = generator.clone();
        std::thread::spawn(move || {
            let mut fixed = Batch::new();
            generator.fixed_tables(&mut fixed);
            if sender.blocking_send(fixed).is_err() {
                return;
            }
            let total = generator.config.opportunities;
            let mut next = 0;
            while next < total {
                let end = (next + CHUNK).min(total);
                let mut batch = Batch::new();
                for index in next..end {
                    generator.opportunity(index, &mut batch);
                }
                if sender.blocking_send(batch).is_err() {
                    return;
                }
                next = end;
            }
        })
    };
    while let Some(batch) = receiver.recv().await {
        copy_batch(client, batch, &mut report).await?;
    }
    let _ = producer.join();
    report.copy_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    for (_, definition) in &indexes {
        client.batch_execute(definition).await?;
    }
    report.index_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    // What autovacuum keeps true of a live database: statistics, and a visibility map that lets
    // index-only scans skip the table.
    // Only this data set's tables: a bare VACUUM would visit every schema of the database.
    let tables = TABLES.iter().map(|(table, _)| *table).collect::<Vec<_>>().join(", ");
    client.batch_execute(&format!("VACUUM (ANALYZE) {tables}")).await?;
    report.analyze_seconds = started.elapsed().as_secs_f64();
    Ok((generator.population.clone(), report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_separators_and_marks_nulls() {
        let mut rows = CopyRows::default();
        rows.text("a\tb\\c\nd").null().plain(7);
        rows.end();
        assert_eq!(rows.buf, "a\\tb\\\\c\\nd\t\\N\t7\n");
    }

    #[test]
    fn the_same_seed_makes_the_same_rows() {
        let generator = Generator::new(&ScaleConfig::new(100));
        let (mut first, mut second) = (Batch::new(), Batch::new());
        generator.opportunity(42, &mut first);
        generator.opportunity(42, &mut second);
        assert_eq!(first.tables[3].buf, second.tables[3].buf);
        assert_ne!(first.tables[3].buf, "");
    }

    #[test]
    fn ownership_is_skewed() {
        let config = ScaleConfig::new(20_000);
        let generator = Generator::new(&config);
        let mut rng = fastrand::Rng::with_seed(1);
        let mut counts = vec![0usize; config.managers];
        for _ in 0..config.opportunities {
            counts[generator.owners.sample(&mut rng)] += 1;
        }
        assert!(counts[0] > 20 * counts[config.managers - 1].max(1), "{counts:?}");
    }
}
