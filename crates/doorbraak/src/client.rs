//! `doorbraak minutes ...`: client commands over a node's JSON API, with human-readable output
//! (Dutch messages for refusals) or `--json`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use doorbraak_model::minutes::content_hash;
use serde_json::{Value, json};

/// Where and as whom.
#[derive(Args, Clone)]
pub struct Conn {
    /// The node's base URL, e.g. http://127.0.0.1:8080
    #[arg(
        long,
        env = "DOORBRAAK_URL",
        global = true,
        default_value = "http://127.0.0.1:8080"
    )]
    pub url: String,
    /// Bearer token of the person acting.
    #[arg(long, env = "DOORBRAAK_TOKEN", global = true, default_value = "")]
    pub token: String,
    /// Print the node's JSON answer instead of a summary.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum MinutesCmd {
    /// Show a meeting with its minutes, revisions and approvals.
    Show { id: String },
    /// Schedule a meeting within a step of an escalation. Participants as
    /// `person:name:role:OIN`, e.g. `eva:Eva Bakker:team_manager:00000001000000000010`.
    Schedule {
        #[arg(long)]
        escalation: String,
        #[arg(long)]
        step: String,
        /// RFC 3339 date-time.
        #[arg(long)]
        date: String,
        #[arg(long = "participant", required = true)]
        participants: Vec<String>,
        #[arg(long)]
        agenda: String,
    },
    /// Draft the minutes (revision 1).
    Draft {
        id: String,
        #[command(flatten)]
        text: Text,
    },
    /// Make a new revision (of the minutes or an addendum).
    Revise {
        id: String,
        #[arg(long)]
        addendum: Option<u32>,
        #[command(flatten)]
        text: Text,
    },
    /// Circulate the current revision for approval.
    Circulate {
        id: String,
        #[arg(long)]
        addendum: Option<u32>,
    },
    /// Approve the current revision (the text shown by `show`; its hash is checked).
    Approve {
        id: String,
        #[arg(long)]
        addendum: Option<u32>,
    },
    /// Ask for changes to the current revision.
    RequestChanges {
        id: String,
        #[arg(long)]
        addendum: Option<u32>,
        #[arg(long)]
        comment: String,
    },
    /// Add an addendum (a correction) to final minutes.
    Addendum {
        id: String,
        #[command(flatten)]
        text: Text,
    },
    /// Export the verification bundle of final minutes.
    Export {
        id: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Save the printable record (HTML) of final minutes.
    Print {
        id: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Args, Clone)]
pub struct Text {
    /// The text itself.
    #[arg(long, conflicts_with = "file")]
    pub content: Option<String>,
    /// A file with the text.
    #[arg(long)]
    pub file: Option<PathBuf>,
}

impl Text {
    fn get(&self) -> anyhow::Result<String> {
        match (&self.content, &self.file) {
            (Some(c), _) => Ok(c.clone()),
            (None, Some(f)) => {
                std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))
            }
            (None, None) => bail!("give the text with --content or --file"),
        }
    }
}

fn target(addendum: Option<u32>) -> Value {
    match addendum {
        Some(n) => json!({ "type": "addendum", "number": n }),
        None => json!({ "type": "main" }),
    }
}

#[derive(Subcommand)]
pub enum OversightCmd {
    /// The alderman's stagnation view of the region (alderman, civil servant).
    Stagnation,
    /// Daily snapshots of the stagnation view.
    Trend,
    /// The team manager's overview: kwesties and escalations, overdue first.
    Overview,
    /// The agenda of the team meeting (basisteamoverleg).
    Agenda,
    /// The recommendations register.
    Register,
    /// Add a recommendation to the register.
    Recommend {
        #[arg(long)]
        title: String,
        #[arg(long)]
        text: String,
        /// Person id of the owner.
        #[arg(long)]
        owner: String,
        /// Due date YYYY-MM-DD.
        #[arg(long)]
        due: String,
        /// Origin: `kwestie:ID`, `escalation:ID` or `evaluation:NAME`.
        #[arg(long)]
        origin: String,
        /// Share the text with the municipality (not only the counts).
        #[arg(long)]
        share_text: bool,
    },
    /// Move a recommendation on: in_progress, done or dropped.
    RecommendationStatus {
        id: String,
        #[arg(long)]
        status: String,
        #[arg(long)]
        note: String,
    },
}

pub async fn run_oversight(conn: Conn, cmd: OversightCmd) -> anyhow::Result<()> {
    let c = Client {
        http: reqwest::Client::new(),
        conn,
    };
    let get = |path: &'static str| c.json("GET", path, None);
    let v = match cmd {
        OversightCmd::Stagnation => get("/api/v1/oversight/stagnation").await?,
        OversightCmd::Trend => get("/api/v1/oversight/trend").await?,
        OversightCmd::Overview => get("/api/v1/team/overview").await?,
        OversightCmd::Agenda => get("/api/v1/team/agenda").await?,
        OversightCmd::Register => get("/api/v1/recommendations").await?,
        OversightCmd::Recommend {
            title,
            text,
            owner,
            due,
            origin,
            share_text,
        } => {
            let (kind, id) = origin
                .split_once(':')
                .context("origin is kwestie:ID, escalation:ID or evaluation:NAME")?;
            let body = json!({ "origin": { "type": kind, "id": id }, "title": title, "text": text,
                "owner": owner, "due": due, "share_text": share_text });
            c.json("POST", "/api/v1/recommendations", Some(body))
                .await?
        }
        OversightCmd::RecommendationStatus { id, status, note } => {
            c.json(
                "POST",
                &format!("/api/v1/recommendations/{id}/status"),
                Some(json!({ "status": status, "note": note })),
            )
            .await?
        }
    };
    if c.conn.json {
        println!("{v}");
    } else {
        println!("{}", serde_json::to_string_pretty(&v)?);
    }
    Ok(())
}

struct Client {
    http: reqwest::Client,
    conn: Conn,
}

impl Client {
    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<reqwest::Response> {
        let url = format!("{}{}", self.conn.url.trim_end_matches('/'), path);
        let mut req = if method == "GET" {
            self.http.get(&url)
        } else {
            self.http.post(&url)
        };
        if !self.conn.token.is_empty() {
            req = req.bearer_auth(&self.conn.token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if self.conn.json {
            println!("{v}");
        }
        bail!(
            "{} {}: {}",
            status.as_u16(),
            v["rule"].as_str().unwrap_or("error"),
            v["message_nl"].as_str().unwrap_or("onbekende fout")
        )
    }

    async fn json(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        Ok(self.call(method, path, body).await?.json().await?)
    }
}

fn summarise_command(v: &Value) {
    let events: Vec<&str> = v["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    println!(
        "ok: {} (versie {}): {}",
        v["id"].as_str().unwrap_or_default(),
        v["version"],
        events.join(", ")
    );
}

fn show_meeting(v: &Value) {
    let st = &v["state"];
    println!(
        "Overleg {} ({}), {}",
        st["id"].as_str().unwrap_or_default(),
        st["meeting"]["step"].as_str().unwrap_or_default(),
        st["meeting"]["date"].as_str().unwrap_or_default()
    );
    let Some(doc) = st["main"].as_object() else {
        println!("  nog geen verslag");
        return;
    };
    let revs = doc
        .get("revisions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let current = revs.last().cloned().unwrap_or(Value::Null);
    let status = if !doc["final_revision"].is_null() {
        "definitief"
    } else if doc["circulated"] == current["number"] {
        "ter goedkeuring"
    } else {
        "concept"
    };
    println!(
        "  status: {status}, versie {} (sha256 {})",
        current["number"],
        current["content_hash"].as_str().unwrap_or_default()
    );
    println!(
        "  ---\n{}\n  ---",
        current["content"].as_str().unwrap_or_default()
    );
    for a in doc["approvals"].as_array().into_iter().flatten() {
        let signed = if a["signature"].is_object() {
            "ondertekend"
        } else {
            "niet ondertekend"
        };
        println!(
            "  goedgekeurd door {} ({}, {}) op {} — {signed}",
            a["person"].as_str().unwrap_or_default(),
            a["role"].as_str().unwrap_or_default(),
            a["org"].as_str().unwrap_or_default(),
            a["at"].as_str().unwrap_or_default()
        );
    }
    for c in doc["change_requests"].as_array().into_iter().flatten() {
        println!(
            "  wijziging gevraagd bij versie {}: {}",
            c["revision"],
            c["comment"].as_str().unwrap_or_default()
        );
    }
}

/// The current revision number and text of a document of a meeting.
fn current(meeting: &Value, addendum: Option<u32>) -> anyhow::Result<(u64, String)> {
    let doc = match addendum {
        None => &meeting["state"]["main"],
        Some(n) => &meeting["state"]["addenda"][(n.max(1) - 1) as usize],
    };
    let rev = doc["revisions"]
        .as_array()
        .and_then(|r| r.last())
        .context("there is no text to act on yet")?;
    Ok((
        rev["number"].as_u64().unwrap_or(0),
        rev["content"].as_str().unwrap_or_default().to_owned(),
    ))
}

pub async fn run(conn: Conn, cmd: MinutesCmd) -> anyhow::Result<()> {
    let c = Client {
        http: reqwest::Client::new(),
        conn,
    };
    let json_out = c.conn.json;
    let done = |v: Value| {
        if json_out {
            println!("{v}");
        } else {
            summarise_command(&v);
        }
    };
    match cmd {
        MinutesCmd::Show { id } => {
            let v = c
                .json("GET", &format!("/api/v1/meetings/{id}"), None)
                .await?;
            if json_out {
                println!("{v}")
            } else {
                show_meeting(&v)
            }
        }
        MinutesCmd::Schedule {
            escalation,
            step,
            date,
            participants,
            agenda,
        } => {
            let mut ps = Vec::new();
            for p in &participants {
                let parts: Vec<&str> = p.splitn(4, ':').collect();
                let [person, name, role, org] = parts[..] else {
                    bail!("participant '{p}' is not person:name:role:OIN");
                };
                ps.push(json!({ "person": person, "name": name, "role": role, "org": org }));
            }
            done(c.json("POST", "/api/v1/meetings", Some(json!({ "escalation": escalation, "step": step, "date": date, "participants": ps, "agenda": agenda }))).await?);
        }
        MinutesCmd::Draft { id, text } => done(
            c.json(
                "POST",
                &format!("/api/v1/meetings/{id}/minutes"),
                Some(json!({ "content": text.get()? })),
            )
            .await?,
        ),
        MinutesCmd::Revise { id, addendum, text } => done(
            c.json(
                "POST",
                &format!("/api/v1/meetings/{id}/revisions"),
                Some(json!({ "target": target(addendum), "content": text.get()? })),
            )
            .await?,
        ),
        MinutesCmd::Circulate { id, addendum } => done(
            c.json(
                "POST",
                &format!("/api/v1/meetings/{id}/circulate"),
                Some(json!({ "target": target(addendum) })),
            )
            .await?,
        ),
        MinutesCmd::Approve { id, addendum } => {
            let m = c
                .json("GET", &format!("/api/v1/meetings/{id}"), None)
                .await?;
            let (rev, text) = current(&m, addendum)?;
            done(c.json("POST", &format!("/api/v1/meetings/{id}/approve"), Some(json!({ "target": target(addendum), "revision": rev, "content_hash": content_hash(&text) }))).await?);
        }
        MinutesCmd::RequestChanges {
            id,
            addendum,
            comment,
        } => {
            let m = c
                .json("GET", &format!("/api/v1/meetings/{id}"), None)
                .await?;
            let (rev, _) = current(&m, addendum)?;
            done(
                c.json(
                    "POST",
                    &format!("/api/v1/meetings/{id}/request-changes"),
                    Some(
                        json!({ "target": target(addendum), "revision": rev, "comment": comment }),
                    ),
                )
                .await?,
            );
        }
        MinutesCmd::Addendum { id, text } => done(
            c.json(
                "POST",
                &format!("/api/v1/meetings/{id}/addenda"),
                Some(json!({ "content": text.get()? })),
            )
            .await?,
        ),
        MinutesCmd::Export { id, out } => {
            let v = c
                .json("GET", &format!("/api/v1/meetings/{id}/bundle"), None)
                .await?;
            std::fs::write(&out, serde_json::to_string_pretty(&v)?)
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "bundle written: {} (check it with `doorbraak minutes verify {} --ca FEDERATION_CA.pem`)",
                out.display(),
                out.display()
            );
        }
        MinutesCmd::Print { id, out } => {
            let html = c
                .call("GET", &format!("/api/v1/meetings/{id}/print"), None)
                .await?
                .text()
                .await?;
            std::fs::write(&out, html).with_context(|| format!("writing {}", out.display()))?;
            println!("printable record written: {}", out.display());
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum CaseCmd {
    /// Register a local case (pseudonymous reference, never a BSN).
    Create {
        case_ref: String,
        #[arg(long)]
        title: String,
    },
    /// The cases of this node.
    List,
}

#[derive(Subcommand)]
pub enum EscalationCmd {
    /// Escalations of this node, overdue first.
    List {
        #[arg(long)]
        overdue: bool,
    },
    /// One escalation with its steps.
    Show { id: String },
    /// Open an escalation at its first step.
    Open {
        #[arg(long = "case")]
        case_ref: String,
        /// professional_dilemma | agreements_not_kept | conduct
        #[arg(long)]
        situation: String,
        /// behavioural_scientists | management
        #[arg(long)]
        step: String,
        /// OIN of a counterpart organisation (repeatable).
        #[arg(long = "counterpart", required = true)]
        counterparts: Vec<String>,
        #[arg(long)]
        question: String,
        #[arg(long)]
        needs: String,
        /// Is this a youth protector who cannot reach the local team while seeking youth help?
        /// `yes` is refused: that is a referral route (aanmeldroute), not an escalation.
        #[arg(long = "referral-route", value_parser = ["yes", "no"])]
        referral_route: String,
    },
    /// Pick up the current step (counterpart).
    PickUp { id: String },
    /// Invoke the next step. Participants as `person:name:role:OIN`.
    Step {
        id: String,
        #[arg(long)]
        step: String,
        #[arg(long = "participant", required = true)]
        participants: Vec<String>,
        #[arg(long = "joining")]
        joining: Vec<String>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Record whether and when the family was informed about a step.
    FamilyInformed {
        id: String,
        #[arg(long)]
        step: String,
        /// RFC 3339 time the family was informed.
        #[arg(long)]
        at: String,
        /// Informed afterwards: the explanation why not beforehand.
        #[arg(long)]
        after: Option<String>,
    },
    /// Record the outcome of the current step.
    Outcome {
        id: String,
        /// The difference was bridged / the stagnation lifted / decision taken.
        #[arg(long)]
        resolved: bool,
        #[arg(long)]
        summary: String,
    },
    /// Change the situation (with a reason).
    Situation {
        id: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        reason: String,
    },
    /// Close the escalation with its bottleneck classification.
    Close {
        id: String,
        /// personal | professional | system.legal | system.financial | system.cultural | system.organisational
        #[arg(long)]
        bottleneck: String,
        /// incidental | structural
        #[arg(long)]
        scope: String,
    },
    /// Add a private note (stays on this node).
    Note {
        id: String,
        #[arg(long)]
        text: String,
    },
}

#[derive(Subcommand)]
pub enum KwestieCmd {
    /// The team's kwesties, overdue first.
    List,
    /// One kwestie.
    Show { id: String },
    /// Raise a kwestie.
    Raise {
        #[arg(long)]
        obstacle: String,
        /// A category code, e.g. waiting_list (repeatable).
        #[arg(long = "category", required = true)]
        categories: Vec<String>,
        /// Whom it was discussed with, e.g. team (repeatable).
        #[arg(long = "discussed-with", required = true)]
        discussed_with: Vec<String>,
        #[arg(long = "case")]
        case_ref: Option<String>,
        #[arg(long, default_value = "")]
        child_needs: String,
        #[arg(long, default_value = "")]
        facilities: String,
        #[arg(long)]
        to_team_manager: bool,
        #[arg(long)]
        on_team_agenda: bool,
    },
    /// Pick up a kwestie (team manager; board member once escalated).
    PickUp { id: String },
    /// Escalate an overdue kwestie to the board, together with the other person.
    EscalateToBoard {
        id: String,
        #[arg(long)]
        co_signer: String,
        #[arg(long)]
        co_signer_role: String,
    },
    /// Record how the kwestie was solved.
    Resolve {
        id: String,
        #[arg(long)]
        solution: String,
        #[arg(long)]
        scope: String,
        #[arg(long)]
        solved_for_family: bool,
        #[arg(long)]
        bottleneck: String,
    },
}

fn bottleneck(code: &str) -> anyhow::Result<Value> {
    Ok(match code {
        "personal" => json!({ "type": "personal" }),
        "professional" => json!({ "type": "professional" }),
        other => match other.strip_prefix("system.") {
            Some(nature) => json!({ "type": "system", "nature": nature }),
            None => bail!("unknown bottleneck '{other}'"),
        },
    })
}

fn participants(list: &[String]) -> anyhow::Result<Vec<Value>> {
    list.iter()
        .map(|p| {
            let parts: Vec<&str> = p.splitn(4, ':').collect();
            let [person, name, role, org] = parts[..] else {
                bail!("participant '{p}' is not person:name:role:OIN");
            };
            Ok(json!({ "person": person, "name": name, "role": role, "org": org }))
        })
        .collect()
}

fn print_rows(v: &Value) {
    for r in v.as_array().into_iter().flatten() {
        println!(
            "{}  {:<10} {}{}{}{}",
            r["id"]
                .as_str()
                .or(r["case_ref"].as_str())
                .unwrap_or_default(),
            r["status"].as_str().unwrap_or_default(),
            r["step"]
                .as_i64()
                .map(|s| format!("stap {s} "))
                .unwrap_or_default(),
            r["situation"]
                .as_i64()
                .map(|s| format!("situatie {s} "))
                .unwrap_or_default(),
            r["next_deadline"]
                .as_str()
                .map(|d| format!("termijn {d} "))
                .unwrap_or_default(),
            if r["overdue"] == true { "VERLOPEN" } else { "" },
        );
    }
}

async fn output(c: &Client, v: Value, list: bool) {
    if c.conn.json {
        println!("{v}");
    } else if list {
        print_rows(&v);
    } else if v["events"].is_array() {
        summarise_command(&v);
    } else {
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    }
}

pub async fn run_case(conn: Conn, cmd: CaseCmd) -> anyhow::Result<()> {
    let c = Client {
        http: reqwest::Client::new(),
        conn,
    };
    match cmd {
        CaseCmd::Create { case_ref, title } => {
            let v = c
                .json(
                    "POST",
                    "/api/v1/cases",
                    Some(json!({ "case_ref": case_ref, "title": title })),
                )
                .await?;
            output(&c, v, false).await;
        }
        CaseCmd::List => {
            let v = c.json("GET", "/api/v1/cases", None).await?;
            output(&c, v, true).await;
        }
    }
    Ok(())
}

pub async fn run_escalation(conn: Conn, cmd: EscalationCmd) -> anyhow::Result<()> {
    let c = Client {
        http: reqwest::Client::new(),
        conn,
    };
    let c = &c;
    let post = |path: String, body: Value| async move { c.json("POST", &path, Some(body)).await };
    let v = match cmd {
        EscalationCmd::List { overdue } => {
            let v = c
                .json(
                    "GET",
                    if overdue {
                        "/api/v1/escalations?overdue=true"
                    } else {
                        "/api/v1/escalations"
                    },
                    None,
                )
                .await?;
            output(c, v, true).await;
            return Ok(());
        }
        EscalationCmd::Show { id } => {
            c.json("GET", &format!("/api/v1/escalations/{id}"), None)
                .await?
        }
        EscalationCmd::Open {
            case_ref,
            situation,
            step,
            counterparts,
            question,
            needs,
            referral_route,
        } => {
            post(
                "/api/v1/escalations".into(),
                json!({ "case_ref": case_ref, "situation": situation, "first_step": step,
                "counterparts": counterparts, "question": question, "needs": needs,
                "seeking_youth_help_access": referral_route == "yes" }),
            )
            .await?
        }
        EscalationCmd::PickUp { id } => {
            post(format!("/api/v1/escalations/{id}/pick-up"), json!({})).await?
        }
        EscalationCmd::Step {
            id,
            step,
            participants: ps,
            joining,
            reason,
        } => {
            post(
                format!("/api/v1/escalations/{id}/steps"),
                json!({ "step": step, "participants": participants(&ps)?,
                "joining": joining, "reason": reason }),
            )
            .await?
        }
        EscalationCmd::FamilyInformed {
            id,
            step,
            at,
            after,
        } => {
            let informed = match after {
                Some(explanation) => {
                    json!({ "type": "after", "at": at, "explanation": explanation })
                }
                None => json!({ "type": "before", "at": at }),
            };
            post(
                format!("/api/v1/escalations/{id}/family-informed"),
                json!({ "step": step, "informed": informed }),
            )
            .await?
        }
        EscalationCmd::Outcome {
            id,
            resolved,
            summary,
        } => {
            let kind = if resolved { "resolved" } else { "unresolved" };
            post(
                format!("/api/v1/escalations/{id}/outcome"),
                json!({ "outcome": { "type": kind, "summary": summary } }),
            )
            .await?
        }
        EscalationCmd::Situation { id, to, reason } => {
            post(
                format!("/api/v1/escalations/{id}/situation"),
                json!({ "to": to, "reason": reason }),
            )
            .await?
        }
        EscalationCmd::Close {
            id,
            bottleneck: b,
            scope,
        } => {
            post(
                format!("/api/v1/escalations/{id}/close"),
                json!({ "classification": { "bottleneck": bottleneck(&b)?, "scope": scope } }),
            )
            .await?
        }
        EscalationCmd::Note { id, text } => {
            post(
                format!("/api/v1/escalations/{id}/notes"),
                json!({ "text": text }),
            )
            .await?
        }
    };
    output(c, v, false).await;
    Ok(())
}

pub async fn run_kwestie(conn: Conn, cmd: KwestieCmd) -> anyhow::Result<()> {
    let c = Client {
        http: reqwest::Client::new(),
        conn,
    };
    let c = &c;
    let post = |path: String, body: Value| async move { c.json("POST", &path, Some(body)).await };
    let v = match cmd {
        KwestieCmd::List => {
            let v = c.json("GET", "/api/v1/kwesties", None).await?;
            output(c, v, true).await;
            return Ok(());
        }
        KwestieCmd::Show { id } => c.json("GET", &format!("/api/v1/kwesties/{id}"), None).await?,
        KwestieCmd::Raise { obstacle, categories, discussed_with, case_ref, child_needs, facilities, to_team_manager, on_team_agenda } => {
            post("/api/v1/kwesties".into(), json!({
                "obstacle": obstacle, "categories": categories, "case_ref": case_ref,
                "preparation": { "own_reach_done": true, "discussed_with": discussed_with, "knows_what_and_whom": true },
                "child_needs": child_needs, "facilities_needed": facilities,
                "route": { "to_team_manager": to_team_manager, "on_team_agenda": on_team_agenda },
            })).await?
        }
        KwestieCmd::PickUp { id } => post(format!("/api/v1/kwesties/{id}/pick-up"), json!({})).await?,
        KwestieCmd::EscalateToBoard { id, co_signer, co_signer_role } => {
            post(format!("/api/v1/kwesties/{id}/escalate-to-board"), json!({ "co_signer": co_signer, "co_signer_role": co_signer_role })).await?
        }
        KwestieCmd::Resolve { id, solution, scope, solved_for_family, bottleneck: b } => {
            post(format!("/api/v1/kwesties/{id}/resolve"), json!({ "solution": solution, "scope": scope,
                "solved_for_family": solved_for_family, "classification": { "bottleneck": bottleneck(&b)?, "scope": scope } })).await?
        }
    };
    output(c, v, false).await;
    Ok(())
}

#[derive(Subcommand)]
pub enum RecordsCmd {
    /// What is due for destruction now (term ended, no legal hold, not yet on a list).
    Due,
    /// The destruction lists, newest first.
    Lists,
    /// Propose a destruction list of everything due now (the node also does this itself).
    Propose,
    /// Approve a destruction list: every record on it is destroyed, here and at every party
    /// (the director).
    Destroy { list: String },
    /// Reject a destruction list (its records are proposed again after 30 days).
    Reject { list: String },
    /// Write the declaration of destruction of a list (printable HTML).
    Declaration {
        list: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Place a legal hold on a record (escalation | kwestie | minutes).
    Hold {
        kind: String,
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift the legal hold of a record.
    LiftHold { kind: String, id: String },
    /// Erase a closed record on the request of a person in it, with the reason.
    Erase {
        kind: String,
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Everything this node holds about a case (inzage): JSON, or `--out` a printable page.
    Inzage {
        case_ref: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Restrict processing of a case (AVG art. 18).
    Restrict {
        case_ref: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift the restriction of a case.
    LiftRestriction { case_ref: String },
}

fn print_retained(rows: &Value) {
    let rows = rows.as_array().map(Vec::as_slice).unwrap_or_default();
    if rows.is_empty() {
        println!("niets");
    }
    for r in rows {
        println!(
            "{:<10} {}  casus {}  afgesloten {}  vernietigen vanaf {}  ({} jaar, {})",
            r["stream_kind"].as_str().unwrap_or_default(),
            r["stream_id"].as_str().unwrap_or_default(),
            r["case_ref"].as_str().unwrap_or("—"),
            r["closed_at"].as_str().unwrap_or_default(),
            r["destroy_on"].as_str().unwrap_or_default(),
            r["years"],
            r["basis"].as_str().unwrap_or_default(),
        );
    }
}

fn print_list(l: &Value) {
    println!(
        "lijst {}  {}  voorgesteld {}",
        l["id"].as_str().unwrap_or_default(),
        l["status"].as_str().unwrap_or_default(),
        l["proposed_at"].as_str().unwrap_or_default()
    );
    for i in l["items"].as_array().into_iter().flatten() {
        let unconfirmed: Vec<&str> = i["unconfirmed"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        println!(
            "  {:<10} {}  {}{}",
            i["stream_kind"].as_str().unwrap_or_default(),
            i["stream_id"].as_str().unwrap_or_default(),
            i["outcome"].as_str().unwrap_or("—"),
            if unconfirmed.is_empty() {
                String::new()
            } else {
                format!("  (nog te bevestigen door {})", unconfirmed.join(", "))
            }
        );
    }
}

pub async fn run_records(conn: Conn, cmd: RecordsCmd) -> anyhow::Result<()> {
    let c = Client {
        http: reqwest::Client::new(),
        conn,
    };
    let quiet = c.conn.json;
    let show = |v: &Value, f: &dyn Fn(&Value)| {
        if quiet {
            println!("{v}");
        } else {
            f(v);
        }
    };
    let text = |html: String, out: &PathBuf| -> anyhow::Result<()> {
        std::fs::write(out, html).with_context(|| format!("writing {}", out.display()))?;
        println!("written: {}", out.display());
        Ok(())
    };
    match cmd {
        RecordsCmd::Due => {
            let v = c.json("GET", "/api/v1/records", None).await?;
            show(&v["due"], &print_retained);
        }
        RecordsCmd::Lists => {
            let v = c.json("GET", "/api/v1/records", None).await?;
            show(&v["lists"], &|ls: &Value| {
                ls.as_array().into_iter().flatten().for_each(print_list);
            });
        }
        RecordsCmd::Propose => {
            let v = c
                .json("POST", "/api/v1/records/destruction-lists", Some(json!({})))
                .await?;
            show(&v, &|v: &Value| match v["list"].is_null() {
                true => println!("niets is aan de beurt"),
                false => print_list(&v["list"]),
            });
        }
        RecordsCmd::Destroy { list } => {
            let v = c
                .json(
                    "POST",
                    &format!("/api/v1/records/destruction-lists/{list}/approve"),
                    Some(json!({})),
                )
                .await?;
            show(&v, &print_list);
        }
        RecordsCmd::Reject { list } => {
            let v = c
                .json(
                    "POST",
                    &format!("/api/v1/records/destruction-lists/{list}/reject"),
                    Some(json!({})),
                )
                .await?;
            show(&v, &print_list);
        }
        RecordsCmd::Declaration { list, out } => {
            let html = c
                .call(
                    "GET",
                    &format!("/api/v1/records/destruction-lists/{list}/declaration"),
                    None,
                )
                .await?
                .text()
                .await?;
            text(html, &out)?;
        }
        RecordsCmd::Hold { kind, id, reason } => {
            c.json(
                "POST",
                &format!("/api/v1/records/{kind}/{id}/hold"),
                Some(json!({ "reason": reason })),
            )
            .await?;
            println!("juridische bewaarplicht geplaatst");
        }
        RecordsCmd::LiftHold { kind, id } => {
            c.json(
                "POST",
                &format!("/api/v1/records/{kind}/{id}/lift-hold"),
                Some(json!({})),
            )
            .await?;
            println!("juridische bewaarplicht opgeheven");
        }
        RecordsCmd::Erase { kind, id, reason } => {
            c.json(
                "POST",
                &format!("/api/v1/records/{kind}/{id}/erase"),
                Some(json!({ "reason": reason })),
            )
            .await?;
            println!("gewist; alleen de gegevens over het wissen blijven");
        }
        RecordsCmd::Inzage { case_ref, out } => match out {
            Some(out) => {
                let html = c
                    .call(
                        "GET",
                        &format!("/api/v1/cases/{case_ref}/inzage/print"),
                        None,
                    )
                    .await?
                    .text()
                    .await?;
                text(html, &out)?;
            }
            None => {
                let v = c
                    .json("GET", &format!("/api/v1/cases/{case_ref}/inzage"), None)
                    .await?;
                println!("{}", serde_json::to_string_pretty(&v)?);
            }
        },
        RecordsCmd::Restrict { case_ref, reason } => {
            c.json(
                "POST",
                &format!("/api/v1/cases/{case_ref}/restriction"),
                Some(json!({ "reason": reason })),
            )
            .await?;
            println!("verwerking beperkt");
        }
        RecordsCmd::LiftRestriction { case_ref } => {
            c.json(
                "POST",
                &format!("/api/v1/cases/{case_ref}/lift-restriction"),
                Some(json!({})),
            )
            .await?;
            println!("beperking opgeheven");
        }
    }
    Ok(())
}
