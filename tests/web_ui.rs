//! The web UI in a real headless Chromium (Debian's chromium + chromedriver, over WebDriver)
//! against the running demo federation: a professional of the local team opens an escalation
//! (after a refusal that names its rule), the counterpart at Veilig Thuis sees it and picks it
//! up, the managers of both organisations approve the minutes, and the alderman's view shows the
//! changed figures. Screenshots of the main screens are written to docs/screens/.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use fantoccini::Locator;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::Value;
use support::browser::Browser;

struct Demo {
    child: Child,
    orgs: Value,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    fn start(dir: &Path) -> Demo {
        let (child, rx) = support::start_demo(dir);
        support::wait_line(&rx, "Stop with Ctrl-C");
        let f: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("federation.json")).unwrap())
                .unwrap();
        Demo {
            child,
            orgs: f["organisations"].clone(),
        }
    }

    fn http(&self, kind: &str) -> String {
        self.orgs
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["kind"] == kind)
            .unwrap()["http"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn oin(&self, kind: &str) -> String {
        self.orgs
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["kind"] == kind)
            .unwrap()["oin"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

fn screens() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screens")
}

/// Check the page with axe-core (WCAG 2.0/2.1 A and AA rules) and take its screenshot.
async fn shot(b: &Browser, name: &str) {
    accessible(b, name).await;
    std::fs::create_dir_all(screens()).unwrap();
    b.screenshot(screens().join(name)).await.unwrap();
    // and on a phone (390 × 844): nothing scrolls sideways
    b.viewport(390, 844).await.unwrap();
    let widths = b
        .client
        .execute(
            "const wide = [...document.querySelectorAll('body *')] \
                 .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 || e.scrollWidth > window.innerWidth) \
                 .slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className); \
             return [document.documentElement.scrollWidth, window.innerWidth, wide];",
            vec![],
        )
        .await
        .unwrap();
    b.viewport(support::browser::VIEWPORT.0, support::browser::VIEWPORT.1)
        .await
        .unwrap();
    let (scroll, inner) = (
        widths[0].as_u64().unwrap_or(0),
        widths[1].as_u64().unwrap_or(0),
    );
    assert!(
        inner > 0 && scroll <= inner,
        "{name} scrolls sideways on a phone: {scroll} px of content in {inner} px: {}",
        widths[2]
    );
}

async fn accessible(b: &Browser, what: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/axe/node_modules/axe-core/axe.min.js");
    let Ok(axe) = std::fs::read_to_string(&path) else {
        assert!(
            std::env::var("DOORBRAAK_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "axe-core is missing: npm ci --prefix tests/axe"
        );
        return;
    };
    b.client.execute(&axe, vec![]).await.unwrap();
    let v = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                .then(r => done({ passes: r.passes.length, violations: r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).join(', ')) }))
                .catch(e => done({ passes: 0, violations: ['axe failed: ' + e] }));",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        v["passes"].as_u64().unwrap_or(0) > 10,
        "{what}: axe did not run: {v}"
    );
    let violations = v["violations"].as_array().cloned().unwrap_or_default();
    assert!(
        violations.is_empty(),
        "{what}: WCAG violations found by axe-core: {violations:#?}"
    );
}

/// Click something that loads a new page, and wait until the old page is gone (so that what
/// is read next is from the new page).
async fn submit(b: &Browser, css: &str) {
    let old = b.client.find(Locator::Css("html")).await.unwrap();
    b.click(css).await.unwrap();
    for _ in 0..200 {
        if old.text().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("clicking {css} did not load a new page");
}

/// Press and release one key (to whatever has the focus).
async fn press(b: &Browser, key: Key) {
    let k = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    b.client.perform_actions(k).await.unwrap();
}

/// Log in at a node with a development account (through the login page's button).
async fn login(b: &Browser, http: &str, user: &str) {
    b.goto(&format!("{http}/inloggen?als={user}"))
        .await
        .unwrap();
    submit(b, &format!("#als-{user}")).await;
    b.wait_for("#ingelogd").await.unwrap();
}

async fn logout(b: &Browser) {
    submit(b, ".wie button").await;
    // the logout is done when its redirect to the login page has loaded
    for _ in 0..100 {
        if b.current_url().await.unwrap().ends_with("/inloggen")
            && b.client.find(Locator::Css("ul.accounts")).await.is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("logout did not reach the login page");
}

/// Reload `url` until `css` shows up and its text contains `needle` (replication is
/// asynchronous); returns the text.
async fn reload_until(b: &Browser, url: &str, css: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        b.goto(url).await.unwrap();
        if let Ok(e) = b.client.find(Locator::Css(css)).await {
            last = e.text().await.unwrap_or_default();
            if last.contains(needle) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!(
        "{css} on {url} never contained '{needle}' (last: '{last}'); page: {}",
        b.page_text().await.unwrap_or_default()
    );
}

/// The stagnation view's figure for open escalations at step 2, situation 2.
async fn open_2_2(b: &Browser, gem: &str) -> String {
    b.goto(&format!("{gem}/sturing")).await.unwrap();
    b.text("#open-2-2 .getal").await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalation_pickup_minutes_and_oversight_in_the_browser() {
    let Some(b) = Browser::start().await.unwrap() else {
        return;
    };
    let dir = support::tempdir("web-ui");
    let demo = Demo::start(&dir);
    let (lt, vt, gem) = (
        demo.http("local_team"),
        demo.http("veilig_thuis"),
        demo.http("municipality"),
    );

    // the alderman's figures before
    login(&b, &gem, "ilse").await;
    let before: u64 = open_2_2(&b, &gem).await.parse().unwrap_or_else(|_| {
        panic!("the seeded step-2/situation-2 figure should be shown as a number")
    });
    logout(&b).await;

    // the login page offers the development accounts
    b.goto(&format!("{lt}/inloggen")).await.unwrap();
    b.wait_for("#als-eva").await.unwrap();
    shot(&b, "inloggen.png").await;

    // 1. Anna (professional, local team) registers a case and opens an escalation
    login(&b, &lt, "anna").await;
    assert!(
        b.page_text()
            .await
            .unwrap()
            .contains("Welkom, Anna de Vries")
    );
    shot(&b, "start-professional.png").await;
    // by keyboard: the first Tab reaches the skip link, Enter moves focus to the content,
    // the next Tab to its first link
    press(&b, Key::Tab).await;
    let focused = b.client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("class").await.unwrap().as_deref(),
        Some("skip")
    );
    press(&b, Key::Enter).await;
    let focused = b.client.active_element().await.unwrap();
    assert_eq!(focused.attr("id").await.unwrap().as_deref(), Some("inhoud"));
    press(&b, Key::Tab).await;
    let focused = b.client.active_element().await.unwrap();
    let href = focused.attr("href").await.unwrap().unwrap_or_default();
    assert!(
        href.starts_with("/escalaties/"),
        "the first item waiting: {href}"
    );
    b.goto(&format!("{lt}/casussen")).await.unwrap();
    b.fill("#case_ref", "LT-2026-0099").await.unwrap();
    b.fill("#title", "Gezin Visser (pseudoniem)").await.unwrap();
    submit(&b, "#zaak-registreren").await;
    submit(&b, "#escalatie-openen").await;
    b.wait_for("#sit-2").await.unwrap();
    b.click("#sit-2").await.unwrap();
    b.select_option("#counterpart", &demo.oin("veilig_thuis"))
        .await
        .unwrap();
    b.fill("#contact", "Vera de Wit").await.unwrap();
    // the referral-route question is asked, with no answer chosen for her
    b.click("#verwijsroute-nee").await.unwrap();
    // a BSN in free text is refused, with the rule named, and nothing typed is lost
    b.fill("#needs", "Hulp voor kind met BSN 123456782 binnen 2 weken")
        .await
        .unwrap();
    b.fill(
        "#question",
        "Wij vragen Veilig Thuis om het onderzoek deze week te starten.",
    )
    .await
    .unwrap();
    submit(&b, "#escalatie-versturen").await;
    // the error summary at the top links to the field, which carries the error too; the
    // message names the field as the form does, never by its code
    let refusal = b.text("[role=alert]").await.unwrap();
    assert!(
        refusal.contains("Er is iets niet goed ingevuld"),
        "{refusal}"
    );
    assert!(refusal.contains("privacy."), "the rule is named: {refusal}");
    assert!(refusal.to_lowercase().contains("bsn"), "{refusal}");
    assert!(
        refusal.contains("wat het kind of gezin nodig heeft") && !refusal.contains("'needs'"),
        "{refusal}"
    );
    let link = b
        .client
        .find(Locator::Css(".foutsamenvatting a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap();
    assert_eq!(link.as_deref(), Some("#needs"));
    assert!(b.text("#needs-fout").await.unwrap().contains("BSN"));
    let kept = b
        .client
        .find(Locator::Css("#question"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        kept.contains("onderzoek deze week"),
        "the form keeps its text"
    );
    shot(&b, "escalatie-geweigerd.png").await;
    b.fill("#needs", "Start van het onderzoek en hulp binnen 2 weken.")
        .await
        .unwrap();
    submit(&b, "#escalatie-versturen").await;
    let status = b.text("#status").await.unwrap();
    assert!(status.contains("stap 2"), "{status}");
    assert!(status.contains("wacht op oppakken"), "{status}");
    let esc_path = b.current_url().await.unwrap();
    let esc_path = &esc_path[esc_path.find("/escalaties/").unwrap()..];
    // what the rules do not allow her now is disabled, with the rule next to it
    let why_not = b.text("#oppakken-waarom").await.unwrap();
    assert!(
        why_not.contains("deadline.pickup_by_counterpart"),
        "the rule is named: {why_not}"
    );
    let next = b.text("#volgende-stap-waarom").await.unwrap();
    assert!(next.contains("(ladder."), "{next}");
    // recording that the family was informed is allowed once, then refused by its rule; no
    // answer is chosen for her, and the record asks for her confirmation
    let blank = b
        .client
        .execute(
            "const f = document.getElementById('gezin').form; \
             return [document.getElementById('fam-voor').checked, \
                     document.getElementById('fam-na').checked, f.checkValidity()];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        blank,
        serde_json::json!([false, false, false]),
        "nothing pre-selected"
    );
    b.click("#fam-voor").await.unwrap();
    b.click("#fam-bevestig").await.unwrap();
    submit(&b, "#gezin").await;
    let ok = b.text("main .melding").await.unwrap();
    assert!(ok.contains("gezin geïnformeerd"), "{ok}");
    assert!(
        b.text("ol.stappen")
            .await
            .unwrap()
            .contains("gezin geïnformeerd")
    );
    let again = b.text("#gezin-waarom").await.unwrap();
    assert!(again.contains("family.already_recorded"), "{again}");
    shot(&b, "escalatie.png").await;

    // she raises a kwestie too: the preparation checklist is a rule, and the form says which
    b.goto(&format!("{lt}/kwesties/nieuw?zaak=LT-2026-0099"))
        .await
        .unwrap();
    b.fill("#obstacle", "Geen plek voor dagbehandeling binnen 8 weken.")
        .await
        .unwrap();
    b.click("#cat-waiting_list").await.unwrap();
    b.click("#own_reach").await.unwrap();
    submit(&b, "form.formulier button[type=submit]").await;
    let refused = b.text("[role=alert]").await.unwrap();
    assert!(refused.contains("kwestie.preparation"), "{refused}");
    b.click("#bespr-team").await.unwrap();
    b.click("#knows").await.unwrap();
    b.fill("#child_needs", "Dagbehandeling binnen 2 weken.")
        .await
        .unwrap();
    submit(&b, "form.formulier button[type=submit]").await;
    // picking it up is the team manager's: disabled for her, with the rule
    let why = b.text("#oppakken-waarom").await.unwrap();
    assert!(why.contains("access."), "{why}");
    let kwestie_url = b.current_url().await.unwrap();
    let kwestie_path = kwestie_url[kwestie_url.find("/kwesties/").unwrap()..].to_owned();

    // the next step when the rules allow it: a situation-1 dilemma whose step 1 (picked up by
    // Veilig Thuis's behavioural scientist) did not bridge the difference (set up through the API)
    let api = support::http_client();
    let dilemma: Value = api
        .post(format!("{lt}/api/v1/escalations"))
        .bearer_auth("demo-lokaal-team-anna")
        .json(&serde_json::json!({
            "case_ref": "LT-2026-0099",
            "situation": "professional_dilemma",
            "first_step": "behavioural_scientists",
            "counterparts": [demo.oin("veilig_thuis")],
            "question": "Wij verschillen van inzicht over de terugplaatsing.",
            "needs": "Een besluit over de terugplaatsing binnen 2 weken.", "seeking_youth_help_access": false,
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dilemma = dilemma["id"].as_str().unwrap().to_owned();
    let mut picked = 0;
    for _ in 0..100 {
        picked = api
            .post(format!("{vt}/api/v1/escalations/{dilemma}/pick-up"))
            .bearer_auth("demo-veilig-thuis-daan")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if picked == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(picked, 200, "Veilig Thuis picks up step 1");
    let outcome = api
        .post(format!("{lt}/api/v1/escalations/{dilemma}/outcome"))
        .bearer_auth("demo-lokaal-team-anna")
        .json(&serde_json::json!({ "outcome": { "type": "unresolved", "summary": "Niet overbrugd." } }))
        .send()
        .await
        .unwrap();
    assert_eq!(outcome.status(), 200, "{}", outcome.text().await.unwrap());
    b.goto(&format!("{lt}/escalaties/{dilemma}")).await.unwrap();
    b.fill("#reden", "Stap 1 heeft het verschil niet overbrugd.")
        .await
        .unwrap();
    submit(&b, "#volgende-stap").await;
    let status = b.text("#status").await.unwrap();
    assert!(status.contains("stap 2"), "{status}");
    logout(&b).await;

    // 2. Vera (team manager, Veilig Thuis) sees it waiting for her and picks it up
    login(&b, &vt, "vera").await;
    let waiting = reload_until(&b, &format!("{vt}/"), "#wacht", "LT-2026-0099").await;
    assert!(waiting.contains("Lokaal Team Utrecht-West"), "{waiting}");
    // grouped and counted, each line with its subject, counterpart and deadline
    assert!(waiting.contains("Escalaties op te pakken ("), "{waiting}");
    assert!(
        waiting.contains("oppakken vóór") && waiting.contains("nog "),
        "{waiting}"
    );
    shot(&b, "wacht-op-mij.png").await;
    b.goto(&format!("{vt}{esc_path}")).await.unwrap();
    submit(&b, "#oppakken").await;
    let said = b.text("main .melding").await.unwrap();
    assert!(said.contains("Opgepakt"), "{said}");
    reload_until(&b, &format!("{vt}{esc_path}"), "#status", "opgepakt").await;
    logout(&b).await;

    // 3. Eva (team manager, local team) picks up the kwestie, schedules the meeting, drafts
    //    and circulates the minutes, and approves them
    login(&b, &lt, "eva").await;
    b.goto(&format!("{lt}{kwestie_path}")).await.unwrap();
    submit(&b, "#oppakken").await;
    let ok = b.text("main .melding").await.unwrap();
    assert!(ok.contains("Opgepakt"), "{ok}");
    reload_until(&b, &format!("{lt}{esc_path}"), "#status", "opgepakt").await;
    b.click("#overleg summary").await.unwrap();
    b.client
        .execute(
            "document.getElementById('datum').value = '2026-12-01T10:00'; return true;",
            vec![],
        )
        .await
        .unwrap();
    // invite the two managers only (both organisations), not Anna
    let boxes = b
        .client
        .find_all(Locator::Css("input[name=participant]"))
        .await
        .unwrap();
    for bx in boxes {
        let id = bx.attr("id").await.unwrap().unwrap();
        let label = b.text(&format!("label[for='{id}']")).await.unwrap();
        if label.contains("Anna") {
            bx.click().await.unwrap();
        }
    }
    b.fill("#agenda", "Startdatum onderzoek en overbruggingshulp")
        .await
        .unwrap();
    submit(&b, "#overleg-plannen").await;
    b.fill(
        "#notulen-tekst",
        "Besproken: Veilig Thuis start het onderzoek op 3 december.\nActie: Vera bevestigt de startdatum schriftelijk.",
    )
    .await
    .unwrap();
    submit(&b, "#notulen-opslaan").await;
    // a second revision; the page shows what changed
    b.click("#nieuwe-versie summary").await.unwrap();
    b.fill(
        "#nieuwe-inhoud",
        "Besproken: Veilig Thuis start het onderzoek op 2 december.\nActie: Vera bevestigt de startdatum schriftelijk.",
    )
    .await
    .unwrap();
    submit(&b, "#nieuwe-versie button").await;
    let diff = b.text("pre.diff").await.unwrap();
    assert!(
        diff.contains("- Besproken: Veilig Thuis start het onderzoek op 3 december."),
        "{diff}"
    );
    assert!(
        diff.contains("+ Besproken: Veilig Thuis start het onderzoek op 2 december."),
        "{diff}"
    );
    submit(&b, "#rondsturen").await;
    submit(&b, "#goedkeuren").await;
    let meeting_url = b.current_url().await.unwrap();
    let meeting_path = &meeting_url[meeting_url.find("/overleggen/").unwrap()..];
    let approvals = b.text("#goedkeuringen").await.unwrap();
    assert!(approvals.contains("ondertekend"), "{approvals}");
    assert!(
        approvals.contains("Vera de Wit") && !approvals.contains("Anna"),
        "the two managers, by name: {approvals}"
    );
    logout(&b).await;

    // 4. Vera approves at Veilig Thuis; the minutes become final
    login(&b, &vt, "vera").await;
    reload_until(&b, &format!("{vt}/"), "#wacht", "Verslagen ter goedkeuring").await;
    b.goto(&format!("{vt}{meeting_path}")).await.unwrap();
    shot(&b, "notulen-goedkeuren.png").await;
    submit(&b, "#goedkeuren").await;
    reload_until(
        &b,
        &format!("{vt}{meeting_path}"),
        "#notulen-status",
        "Vastgesteld",
    )
    .await;
    shot(&b, "notulen-vastgesteld.png").await;
    // final minutes are never edited: a correction is an addendum with the same approval
    b.click("#aanvulling summary").await.unwrap();
    b.fill(
        "#aanvulling-tekst",
        "Correctie: het onderzoek start op 2 december om 9:00 uur.",
    )
    .await
    .unwrap();
    submit(&b, "#aanvulling-opslaan").await;
    let said = b.text("main .melding").await.unwrap();
    assert!(said.contains("Aanvulling opgeslagen"), "{said}");
    submit(&b, "#rondsturen-aanvulling-1").await;
    submit(&b, "#goedkeuren-aanvulling-1").await;
    let status = b.text("#notulen-status-aanvulling-1").await.unwrap();
    assert!(status.contains("Ter goedkeuring"), "{status}");
    assert!(
        b.text("#notulen-status")
            .await
            .unwrap()
            .contains("Vastgesteld"),
        "the minutes proper stay final"
    );
    logout(&b).await;
    login(&b, &lt, "eva").await;
    reload_until(
        &b,
        &format!("{lt}{meeting_path}"),
        "#notulen-status-aanvulling-1",
        "Ter goedkeuring",
    )
    .await;
    submit(&b, "#goedkeuren-aanvulling-1").await;
    reload_until(
        &b,
        &format!("{lt}{meeting_path}"),
        "#notulen-status-aanvulling-1",
        "Vastgesteld",
    )
    .await;
    let approvals = b.text("#goedkeuringen-aanvulling-1").await.unwrap();
    assert!(
        approvals.contains("Vera de Wit") && approvals.contains("Eva Bakker"),
        "{approvals}"
    );
    logout(&b).await;

    // 5. The alderman's view counts the new escalation
    login(&b, &gem, "ilse").await;
    let mut after = before;
    for _ in 0..50 {
        after = open_2_2(&b, &gem).await.parse().unwrap_or(before);
        if after != before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(after, before + 1, "the alderman's figure changed");
    let small = b.text("#open-1-1").await.unwrap();
    assert!(
        small.contains("<5") && small.contains("afgeschermd"),
        "a small figure is shown as suppressed: {small}"
    );
    assert!(
        b.client
            .find(Locator::Css("#open-1-1 span.balk.afgeschermd"))
            .await
            .is_ok()
    );
    // the municipality's own theme over the NL Design System: its colour and its logo
    let look = b
        .client
        .execute(
            "const img = document.querySelector('.merk img.logo'); \
             return [getComputedStyle(document.querySelector('header.kop')).backgroundColor, \
                     img ? img.naturalWidth : 0, \
                     document.documentElement.className];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        look[0], "rgb(164, 18, 28)",
        "the header in the organisation's colour"
    );
    assert!(
        look[1].as_u64().unwrap_or(0) > 0,
        "its logo is shown: {look}"
    );
    assert!(
        look[2]
            .as_str()
            .unwrap_or_default()
            .contains("voorbeeld-theme"),
        "{look}"
    );
    // throughput per week as a chart, with its numbers in a table
    if b.client
        .find(Locator::Css("svg#doorstroom-grafiek"))
        .await
        .is_err()
    {
        panic!("no weekly chart: {}", b.page_text().await.unwrap());
    }
    let weekly = b.text("#doorstroom").await.unwrap();
    assert!(
        weekly.contains("week ") && weekly.contains("vanaf"),
        "{weekly}"
    );
    assert!(
        b.text("#tot-oppakken").await.unwrap().contains("dagen")
            || b.text("#tot-oppakken").await.unwrap().contains("te weinig"),
    );
    shot(&b, "sturing-wethouder.png").await;
    // a period: what is open now stays as it stands
    let open_now = open_2_2(&b, &gem).await;
    b.client
        .find(Locator::LinkText("laatste 4 weken"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait_for("#periode-uitleg").await.unwrap();
    let said = b.text("#periode-uitleg").await.unwrap();
    assert!(said.starts_with("Periode: 20"), "{said}");
    assert_eq!(b.text("#open-2-2 .getal").await.unwrap(), open_now);
    // the export holds only what the screen shows: suppressed as shown, no case content
    let csv = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.getElementById('exporteren').href).then(r => r.text()).then(done);",
            vec![],
        )
        .await
        .unwrap();
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("cijfer,wat,waarde"), "{csv}");
    assert!(
        csv.contains("Te late stappen") && csv.contains("(afgeschermd)"),
        "{csv}"
    );
    assert!(!csv.contains("LT-2026") && !csv.contains("Gezin"), "{csv}");
    // a period that ends before it starts is refused, naming the field
    b.goto(&format!("{gem}/sturing?van=2026-06-01&tot=2026-05-01"))
        .await
        .unwrap();
    let refused = b.text("[role=alert]").await.unwrap();
    assert!(refused.contains("tot en met"), "{refused}");
    b.goto(&format!("{gem}/sturing")).await.unwrap();
    // switch to English and back
    submit(&b, ".taal").await;
    b.wait_for("html[lang=en]").await.unwrap();
    assert!(
        b.text("h1")
            .await
            .unwrap()
            .contains("Where cooperation stagnates")
    );
    submit(&b, ".taal").await;
    b.wait_for("html[lang=nl]").await.unwrap();
    logout(&b).await;

    // 6. A page outside one's role is refused with the rule named
    login(&b, &lt, "anna").await;
    b.goto(&format!("{lt}/sturing")).await.unwrap();
    let refused = b.text("[role=alert]").await.unwrap();
    assert!(refused.contains("access.role_not_allowed"), "{refused}");
    logout(&b).await;

    // 7. The team manager's overview lists the new escalation with its age
    login(&b, &lt, "eva").await;
    b.goto(&format!("{lt}/team")).await.unwrap();
    let team = b.page_text().await.unwrap();
    assert!(
        team.contains("Teamoverzicht") && team.contains("LT-2026-0099"),
        "{team}"
    );
    assert!(team.contains("Agenda van het teamoverleg"));
    shot(&b, "team-manager.png").await;
    logout(&b).await;

    // 8. The quality officer's recommendations register
    login(&b, &gem, "quinten").await;
    b.goto(&format!("{gem}/aanbevelingen")).await.unwrap();
    let reg = b.text("#aanbevelingen").await.unwrap();
    assert!(
        reg.contains("Wachtlijstafspraken Veilig Thuis vastleggen"),
        "{reg}"
    );
    shot(&b, "aanbevelingen.png").await;
    // she adds one from the evaluation, and moves another on
    b.fill("#herkomst", "Evaluatie Q4 2026").await.unwrap();
    b.fill("#titel", "Escalatieladder bespreken in het regio-overleg")
        .await
        .unwrap();
    b.fill("#tekst", "Agendeer de stagnatiecijfers elk kwartaal.")
        .await
        .unwrap();
    b.fill("#eigenaar", "joost").await.unwrap();
    b.client
        .execute(
            "document.getElementById('gereed').value = '2027-01-15'; return true;",
            vec![],
        )
        .await
        .unwrap();
    submit(&b, "#aanbeveling-toevoegen").await;
    let reg = b.text("#aanbevelingen").await.unwrap();
    assert!(reg.contains("Escalatieladder bespreken"), "{reg}");
    b.fill("#notitie-0", "Afspraak gemaakt met Veilig Thuis")
        .await
        .unwrap();
    submit(&b, "#aanbevelingen tr:first-child form button").await;
    let saved = b.text("[role=status]").await.unwrap();
    assert!(saved.contains("Status opgeslagen"), "{saved}");
    let badges = b
        .client
        .find_all(Locator::Css("#aanbevelingen .badge"))
        .await
        .unwrap();
    let mut moved = false;
    for badge in badges {
        moved |= badge.text().await.unwrap() == "in uitvoering";
    }
    assert!(moved, "one recommendation is now in progress");
    // the register filtered by status
    b.goto(&format!("{gem}/aanbevelingen?status=in_progress"))
        .await
        .unwrap();
    let filtered = b.text("#aanbevelingen tbody").await.unwrap();
    assert!(
        filtered.contains("in uitvoering") && !filtered.contains("open\n"),
        "{filtered}"
    );
    b.goto(&format!("{gem}/aanbevelingen")).await.unwrap();
    // and its history says who moved it, when and why
    b.click("#aanbevelingen tr:first-child details.geschiedenis summary")
        .await
        .unwrap();
    let history = b
        .text("#aanbevelingen tr:first-child details.geschiedenis")
        .await
        .unwrap();
    assert!(
        history.contains("Afspraak gemaakt met Veilig Thuis"),
        "{history}"
    );
    // progress without a change of status
    b.click("#aanbevelingen tr:first-child details.voortgang summary")
        .await
        .unwrap();
    b.fill("#voortgang-0", "Eerste overleg met Veilig Thuis gehouden.")
        .await
        .unwrap();
    submit(&b, "#voortgang-opslaan-0").await;
    let said = b.text("[role=status]").await.unwrap();
    assert!(said.contains("Voortgang genoteerd"), "{said}");
    b.click("#aanbevelingen tr:first-child details.geschiedenis summary")
        .await
        .unwrap();
    let history = b
        .text("#aanbevelingen tr:first-child details.geschiedenis")
        .await
        .unwrap();
    assert!(
        history.contains("Eerste overleg met Veilig Thuis gehouden."),
        "{history}"
    );
    logout(&b).await;

    // 9. The administrator: members with delivery status (resend), certificates, and the
    //    access log, searchable and exportable, showing who read the new escalation
    login(&b, &lt, "beheer").await;
    b.goto(&format!("{lt}/beheer")).await.unwrap();
    let peers = b.text("#peers").await.unwrap();
    assert!(peers.contains("Veilig Thuis Utrecht"), "{peers}");
    let certs = b.text("#certificaten").await.unwrap();
    assert!(certs.contains("dagen"), "{certs}");
    // which directory is in force, signed by whom, until when (the demo's: version 1, a year)
    let directory = b.text("#adresboek-versie").await.unwrap();
    assert!(
        directory.contains("Versie 1")
            && directory.contains("federatiebeheerder")
            && directory.contains("geldig tot"),
        "{directory}"
    );
    // the mail queue: the demo's mails go to files; whether they went out yet depends on the
    // day (working days only), so the queue shows them either waiting or sent
    let queue = reload_until(&b, &format!("{lt}/beheer"), "#mailwachtrij", "adres").await;
    assert!(
        queue.contains("wachtend: ") || queue.contains("verstuurd: "),
        "{queue}"
    );
    shot(&b, "beheer.png").await;
    submit(&b, "#peers form button").await;
    let ok = b.text("[role=status]").await.unwrap();
    assert!(ok.contains("Opnieuw verstuurd"), "{ok}");
    // the region's signed directory, read again
    submit(&b, "#adresboek").await;
    let ok = b.text("[role=status]").await.unwrap();
    assert!(ok.contains("Adresboek geladen: 4 organisaties"), "{ok}");
    let esc_id = esc_path.trim_start_matches("/escalaties/");
    b.goto(&format!("{lt}/beheer/toegangslog")).await.unwrap();
    b.fill("#object_id", esc_id).await.unwrap();
    submit(&b, "form.zoek button").await;
    let log = b.text("#toegangslog").await.unwrap();
    assert!(
        log.lines()
            .any(|row| row.contains("eva") && row.contains("ingezien")),
        "eva's read of the escalation page is logged: {log}"
    );
    assert!(
        log.lines()
            .any(|row| row.contains("anna") && row.contains("aangemaakt")),
        "{log}"
    );
    // in words: roles and outcomes in Dutch, not codes
    assert!(log.contains("gelukt") && !log.contains("success"), "{log}");
    assert!(log.contains("uitvoerend professional"), "{log}");
    shot(&b, "toegangslog.png").await;
    // a period: long ago holds nothing of this escalation
    b.fill("#van", "2020-01-01").await.unwrap();
    b.fill("#tot", "2020-12-31").await.unwrap();
    submit(&b, "form.zoek button").await;
    assert!(
        b.text("#toegangslog tbody")
            .await
            .unwrap()
            .trim()
            .is_empty()
    );
    b.goto(&format!("{lt}/beheer/toegangslog?object_id={esc_id}"))
        .await
        .unwrap();
    let csv = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('form.zoek a').href).then(r => r.text()).then(done);",
            vec![],
        )
        .await
        .unwrap();
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("at,user_id,user_role"), "{csv}");
    assert!(csv.contains(esc_id) && csv.contains("anna"), "{csv}");
    // and by person
    b.fill("#user_id", "vera").await.unwrap();
    submit(&b, "form.zoek button").await;
    let vera = b.text("#toegangslog tbody").await.unwrap();
    assert!(
        !vera.is_empty() && vera.lines().all(|row| row.contains("vera")),
        "{vera}"
    );
    // by (part of) a name, as this node knows it from the logins
    b.goto(&format!("{lt}/beheer/toegangslog")).await.unwrap();
    b.fill("#naam", "bakk").await.unwrap();
    submit(&b, "form.zoek button").await;
    let eva = b.text("#toegangslog tbody").await.unwrap();
    assert!(
        !eva.is_empty() && eva.lines().all(|row| row.contains("Eva Bakker (eva)")),
        "{eva}"
    );
    // the node's users and their roles
    b.goto(&format!("{lt}/beheer/gebruikers")).await.unwrap();
    let people = b.text("#gebruikers").await.unwrap();
    let row = |who: &str| {
        people
            .lines()
            .find(|l| l.contains(who))
            .unwrap_or_else(|| panic!("{who} in {people}"))
            .to_owned()
    };
    assert!(
        row("Anna de Vries").contains("uitvoerend professional"),
        "{people}"
    );
    assert!(
        row("Eva Bakker").contains("2026") || row("Eva Bakker").contains("20"),
        "{people}"
    );
    assert!(
        row("Hans Bestuurder").contains("nog niet"),
        "never logged in: {people}"
    );
    shot(&b, "gebruikers.png").await;
    logout(&b).await;

    b.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalation_is_closed_in_the_browser_with_its_bottleneck_classification() {
    let Some(b) = Browser::start().await.unwrap() else {
        return;
    };
    let dir = support::tempdir("web-close");
    let demo = Demo::start(&dir);
    let (lt, vt) = (demo.http("local_team"), demo.http("veilig_thuis"));
    let api = support::http_client();
    // a step-2 escalation of the local team that Veilig Thuis picked up and that bridged the
    // difference (set up through the API)
    let case = api
        .post(format!("{lt}/api/v1/cases"))
        .bearer_auth("demo-lokaal-team-anna")
        .json(&serde_json::json!({ "case_ref": "LT-2026-0120", "title": "Gezin K." }))
        .send()
        .await
        .unwrap();
    assert_eq!(case.status(), 201, "{}", case.text().await.unwrap());
    let esc: Value = api
        .post(format!("{lt}/api/v1/escalations"))
        .bearer_auth("demo-lokaal-team-anna")
        .json(&serde_json::json!({
            "case_ref": "LT-2026-0120",
            "situation": "agreements_not_kept",
            "first_step": "management",
            "counterparts": [demo.oin("veilig_thuis")],
            "question": "De afgesproken start van de hulp is twee keer verschoven.",
            "needs": "Start van de hulp binnen 1 week.", "seeking_youth_help_access": false,
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = esc["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{esc}"))
        .to_owned();
    let mut picked = 0;
    for _ in 0..100 {
        picked = api
            .post(format!("{vt}/api/v1/escalations/{id}/pick-up"))
            .bearer_auth("demo-veilig-thuis-vera")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if picked == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(picked, 200, "Veilig Thuis picks up step 2");
    let record = |path: &'static str, body: Value| {
        let (api, lt, id) = (api.clone(), lt.clone(), id.clone());
        async move {
            let r = api
                .post(format!("{lt}/api/v1/escalations/{id}/{path}"))
                .bearer_auth("demo-lokaal-team-anna")
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{path}: {}", r.text().await.unwrap());
        }
    };
    record(
        "family-informed",
        serde_json::json!({ "step": "management", "informed": { "type": "before", "at": "2026-11-30T10:00:00Z" } }),
    )
    .await;

    login(&b, &lt, "anna").await;
    // a second escalation for the same case with the same organisation, by keyboard only: she
    // is warned first. Every key she presses is counted (docs/PERFORMANCE.md).
    b.goto(&format!("{lt}/escalaties/nieuw?zaak=LT-2026-0120"))
        .await
        .unwrap();
    let mut keys = 0usize;
    let focus_id = |b: &Browser| {
        let b = b.client.clone();
        async move {
            b.active_element()
                .await
                .unwrap()
                .attr("id")
                .await
                .unwrap()
                .unwrap_or_default()
        }
    };
    // Tab from the top of the page to the form's first field (the case, chosen already)
    for _ in 0..40 {
        if focus_id(&b).await == "case_ref" {
            break;
        }
        press(&b, Key::Tab).await;
        keys += 1;
    }
    assert_eq!(focus_id(&b).await, "case_ref", "the form is reached by Tab");
    let type_text = |b: &Browser, text: &'static str| {
        let b = b.client.clone();
        async move {
            b.active_element()
                .await
                .unwrap()
                .send_keys(text)
                .await
                .unwrap();
        }
    };
    // the situation: Tab into the group, arrow to situation 2
    press(&b, Key::Tab).await;
    press(&b, Key::Down).await;
    keys += 2;
    assert_eq!(focus_id(&b).await, "sit-2");
    // the organisation: Tab, then its first letter
    press(&b, Key::Tab).await;
    type_text(&b, "V").await;
    keys += 2;
    assert_eq!(focus_id(&b).await, "counterpart");
    // past the optional contact, the two texts
    press(&b, Key::Tab).await;
    press(&b, Key::Tab).await;
    keys += 2;
    assert_eq!(focus_id(&b).await, "needs");
    let (needs, question) = ("Start van de hulp.", "Nogmaals: start de hulp.");
    type_text(&b, needs).await;
    press(&b, Key::Tab).await;
    type_text(&b, question).await;
    press(&b, Key::Tab).await;
    keys += needs.chars().count() + question.chars().count() + 2;
    // the referral-route question: Space picks "nee", Enter sends the form
    assert_eq!(focus_id(&b).await, "verwijsroute-nee");
    press(&b, Key::Space).await;
    keys += 1;
    let old = b.client.find(Locator::Css("html")).await.unwrap();
    press(&b, Key::Enter).await;
    keys += 1;
    for _ in 0..200 {
        if old.text().await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let required = b
        .client
        .execute(
            "return new Set([...document.querySelectorAll('form.formulier [required]')].map(e => e.name)).size;",
            vec![],
        )
        .await
        .unwrap();
    eprintln!("open-escalation form by keyboard: {keys} keys, {required} required answers");
    let warned = b.text("#al-open").await.unwrap();
    assert!(warned.contains("loopt al een escalatie"), "{warned}");
    let kept = b
        .client
        .find(Locator::Css("#question"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(kept, "Nogmaals: start de hulp.", "nothing typed is lost");
    b.goto(&format!("{lt}/escalaties/{id}")).await.unwrap();
    // she invites Veilig Thuis's director into the step, and changes the situation with a reason
    b.select_option("#deelnemer-org", &demo.oin("veilig_thuis"))
        .await
        .unwrap();
    b.fill("#deelnemer-naam", "Gerda de Boer").await.unwrap();
    b.fill("#deelnemer-id", "gerda").await.unwrap();
    b.select_option("#deelnemer-rol", "director").await.unwrap();
    submit(&b, "#deelnemer").await;
    let said = b.text("main .melding").await.unwrap();
    assert!(said.contains("Deelnemer toegevoegd"), "{said}");
    assert!(
        b.text("ol.stappen")
            .await
            .unwrap()
            .contains("Gerda de Boer")
    );
    b.click("#naar-3").await.unwrap();
    b.fill(
        "#situatie-reden",
        "Het gaat om het handelen van een professional.",
    )
    .await
    .unwrap();
    submit(&b, "#situatie-wijzigen").await;
    let said = b.text("main .melding").await.unwrap();
    assert!(said.contains("Situatie gewijzigd"), "{said}");
    assert!(b.text("#situatie").await.unwrap().contains("situatie 3"));
    // the step bridged the difference (through the API)
    record(
        "outcome",
        serde_json::json!({ "outcome": { "type": "resolved", "summary": "De hulp start maandag." } }),
    )
    .await;
    b.goto(&format!("{lt}/escalaties/{id}")).await.unwrap();
    // nothing is chosen for her: the form does not submit as it stands
    let valid = b
        .client
        .execute(
            "return document.getElementById('afsluiten').form.checkValidity();",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(valid, serde_json::json!(false));
    accessible(&b, "the close form").await;
    // by keyboard only, every key counted: Tab to the close form's first question
    let mut keys = 0usize;
    for _ in 0..120 {
        if focus_id(&b).await == "sluit-knelpunt-personal" {
            break;
        }
        press(&b, Key::Tab).await;
        keys += 1;
    }
    let to_form = keys;
    assert_eq!(
        focus_id(&b).await,
        "sluit-knelpunt-personal",
        "the close form is reached by Tab"
    );
    // the bottleneck: arrows to "systeem: financieel" (the fourth); the scope: one down
    for _ in 0..3 {
        press(&b, Key::Down).await;
    }
    assert_eq!(focus_id(&b).await, "sluit-knelpunt-system-financial");
    press(&b, Key::Tab).await;
    press(&b, Key::Down).await;
    keys += 5;
    assert_eq!(focus_id(&b).await, "sluit-reikwijdte-structural");
    // the second root-cause question, ticked with Space, and its "why?" answered
    for _ in 0..3 {
        press(&b, Key::Tab).await;
    }
    assert_eq!(focus_id(&b).await, "sluit-oorzaak-lack_of_usable_budget");
    press(&b, Key::Space).await;
    press(&b, Key::Tab).await;
    keys += 5;
    let why = "Het budget voor dagbehandeling was op.\nDe begroting volgt het jaar, niet de vraag.";
    type_text(&b, why).await;
    keys += why.chars().count();
    // past the other three questions to the confirmation, Space, and Enter on the button
    for _ in 0..7 {
        press(&b, Key::Tab).await;
    }
    assert_eq!(focus_id(&b).await, "sluit-bevestig");
    press(&b, Key::Space).await;
    press(&b, Key::Tab).await;
    keys += 9;
    assert_eq!(focus_id(&b).await, "afsluiten");
    eprintln!(
        "close form by keyboard: {} keys ({to_form} Tabs to reach it, {} in it)",
        keys + 1,
        keys + 1 - to_form
    );
    let old = b.client.find(Locator::Css("html")).await.unwrap();
    press(&b, Key::Enter).await;
    for _ in 0..200 {
        if old.text().await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let said = b.text("main .melding").await.unwrap();
    assert!(said.contains("Escalatie afgesloten"), "{said}");
    let status = b.text("#status").await.unwrap();
    assert!(status.contains("gesloten"), "{status}");
    assert!(status.contains("systeem: financieel"), "{status}");
    // the page tells the story: the ladder, and who did what when in plain Dutch
    let ladder = b.text("ol.ladder").await.unwrap();
    assert!(
        ladder.contains("overbrugd") && ladder.contains("niet ingezet"),
        "{ladder}"
    );
    let story = b.text("#tijdlijn").await.unwrap();
    for said in [
        "opende de escalatie met Veilig Thuis Utrecht",
        "pakte op: stap 2",
        "voegde toe als deelnemer: Gerda de Boer",
        "wijzigde de situatie van situatie 2",
        "legde de uitkomst vast van stap 2 (management): overbrugd",
        "sloot de escalatie af; knelpunt: systeem: financieel",
    ] {
        assert!(story.contains(said), "{said:?} in {story}");
    }
    shot(&b, "escalatie-gesloten.png").await;

    // the home keeps the classification, as the alderman's figures count it
    let e: Value = api
        .get(format!("{lt}/api/v1/escalations/{id}"))
        .bearer_auth("demo-lokaal-team-anna")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let c = &e["state"]["status"]["classification"];
    assert_eq!(
        c["bottleneck"],
        serde_json::json!({ "type": "system", "nature": "financial" }),
        "{e}"
    );
    assert_eq!(c["scope"], "structural");
    assert_eq!(c["root_causes"][0]["why"].as_array().map(Vec::len), Some(2));
    logout(&b).await;

    // a kwestie Anna raised is resolved by Eva, her team manager, in the browser; Anna herself
    // sees why she may not
    let k: Value = api
        .post(format!("{lt}/api/v1/kwesties"))
        .bearer_auth("demo-lokaal-team-anna")
        .json(&support::raise_kwestie())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = k["id"].as_str().unwrap_or_else(|| panic!("{k}")).to_owned();
    login(&b, &lt, "anna").await;
    b.goto(&format!("{lt}/kwesties/{kid}")).await.unwrap();
    let why = b.text("#oplossen-waarom").await.unwrap();
    assert!(why.contains("access.role_not_allowed"), "{why}");
    logout(&b).await;
    login(&b, &lt, "eva").await;
    b.goto(&format!("{lt}/kwesties/{kid}")).await.unwrap();
    b.fill(
        "#oplossing-tekst",
        "Twee gezinsmanagers uit de pool ingezet.",
    )
    .await
    .unwrap();
    b.click("#opl-gezin-ja").await.unwrap();
    b.click("#opl-knelpunt-system-organisational")
        .await
        .unwrap();
    b.click("#opl-reikwijdte-incidental").await.unwrap();
    // without the confirmation the node refuses it, naming the field
    b.client
        .execute(
            "document.getElementById('opl-bevestig').required = false; return true;",
            vec![],
        )
        .await
        .unwrap();
    submit(&b, "#oplossen").await;
    let refused = b.text("[role=alert]").await.unwrap();
    assert!(
        refused.contains("input.missing_field")
            && refused.contains("Er is iets niet goed ingevuld"),
        "{refused}"
    );
    let link = b
        .client
        .find(Locator::Css(".foutsamenvatting a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap();
    assert_eq!(
        link.as_deref(),
        Some("#oplossen"),
        "the summary leads to the form"
    );
    b.goto(&format!("{lt}/kwesties/{kid}")).await.unwrap();
    b.fill(
        "#oplossing-tekst",
        "Twee gezinsmanagers uit de pool ingezet.",
    )
    .await
    .unwrap();
    b.click("#opl-gezin-ja").await.unwrap();
    b.click("#opl-knelpunt-system-organisational")
        .await
        .unwrap();
    b.click("#opl-reikwijdte-incidental").await.unwrap();
    b.click("#opl-bevestig").await.unwrap();
    submit(&b, "#oplossen").await;
    let done = b.text("#oplossing").await.unwrap();
    assert!(done.contains("systeem: organisatorisch"), "{done}");
    b.close().await.unwrap();
}

/// The family informed (beforehand) and the outcome of the current step, on the escalation's
/// page, each confirmed as the form asks.
async fn family_and_outcome(b: &Browser, url: &str, bridged: bool, summary: &str) {
    b.goto(url).await.unwrap();
    b.click("#fam-voor").await.unwrap();
    b.click("#fam-bevestig").await.unwrap();
    submit(b, "#gezin").await;
    let ok = b.text("main .melding").await.unwrap();
    assert!(ok.contains("gezin geïnformeerd"), "{ok}");
    b.click(if bridged { "#uit-ja" } else { "#uit-nee" })
        .await
        .unwrap();
    b.fill("#uit-samenvatting", summary).await.unwrap();
    b.click("#uit-bevestig").await.unwrap();
    submit(b, "#uitkomst").await;
    let ok = b.text("main .melding").await.unwrap();
    assert!(ok.contains("Uitkomst vastgelegd"), "{ok}");
}

/// `user` of the node at `http` waits for the escalation at `path` to show `needle` in its
/// status (replication is asynchronous), picks its step up, and logs out.
async fn pick_up_as(b: &Browser, http: &str, user: &str, path: &str, needle: &str) {
    login(b, http, user).await;
    reload_until(b, &format!("{http}{path}"), "#status", needle).await;
    submit(b, "#oppakken").await;
    let said = b.text("main .melding").await.unwrap();
    assert!(said.contains("Opgepakt"), "{user}: {said}");
    logout(b).await;
}

/// Fill the step-3 form: the reason, the civil servant, and (when `join`) the municipality
/// joining; then send it.
async fn invoke_step_3(b: &Browser, municipality: &str, join: bool) {
    b.fill(
        "#reden",
        "Het beleid schiet tekort: de terugplaatsing vraagt een bestuurlijk besluit.",
    )
    .await
    .unwrap();
    let mut offered = false;
    for bx in b
        .client
        .find_all(Locator::Css("input[name=joining]"))
        .await
        .unwrap()
    {
        let id = bx.attr("id").await.unwrap().unwrap();
        let label = b.text(&format!("label[for='{id}']")).await.unwrap();
        if label.contains("Gemeente") {
            offered = true;
            if join {
                bx.click().await.unwrap();
            }
        }
    }
    assert!(offered, "the municipality is offered to join");
    b.select_option("#amb-org", municipality).await.unwrap();
    b.fill("#amb-naam", "Joost Beleid").await.unwrap();
    b.fill("#amb-id", "joost").await.unwrap();
    submit(b, "#volgende-stap").await;
}

/// The stagnation view's text of one figure, or `None` when the view has no such row.
async fn figure(b: &Browser, gem: &str, id: &str) -> Option<String> {
    b.goto(&format!("{gem}/sturing")).await.unwrap();
    match b.client.find(Locator::Css(&format!("#{id}"))).await {
        Ok(e) => Some(e.text().await.unwrap()),
        Err(_) => None,
    }
}

/// Wait until the alderman's figure `id` satisfies `ok` (the view asks every node).
async fn figure_until(b: &Browser, gem: &str, id: &str, ok: impl Fn(&Option<String>) -> bool) {
    let mut last = None;
    for _ in 0..50 {
        last = figure(b, gem, id).await;
        if ok(&last) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the alderman's figure {id} did not change as expected: {last:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ladder_is_walked_to_step_3_in_the_browser_and_a_kwestie_goes_to_the_board() {
    let Some(b) = Browser::start().await.unwrap() else {
        return;
    };
    let dir = support::tempdir("web-ladder");
    let demo = Demo::start(&dir);
    let (lt, vt, gem) = (
        demo.http("local_team"),
        demo.http("veilig_thuis"),
        demo.http("municipality"),
    );
    // the alderman's view before: nothing at step 3 in situation 1
    login(&b, &gem, "ilse").await;
    assert_eq!(figure(&b, &gem, "open-3-1").await, None);
    logout(&b).await;

    // 1. Anna registers a case and opens a situation-1 escalation with Veilig Thuis (step 1)
    login(&b, &lt, "anna").await;
    b.goto(&format!("{lt}/casussen")).await.unwrap();
    b.fill("#case_ref", "LT-2026-0200").await.unwrap();
    b.fill("#title", "Gezin Mol (pseudoniem)").await.unwrap();
    submit(&b, "#zaak-registreren").await;
    submit(&b, "#escalatie-openen").await;
    b.click("#sit-1").await.unwrap();
    b.select_option("#counterpart", &demo.oin("veilig_thuis"))
        .await
        .unwrap();
    b.click("#verwijsroute-nee").await.unwrap();
    b.fill(
        "#needs",
        "Een besluit over de terugplaatsing binnen 2 weken.",
    )
    .await
    .unwrap();
    b.fill(
        "#question",
        "Wij verschillen van inzicht over de terugplaatsing bij moeder.",
    )
    .await
    .unwrap();
    submit(&b, "#escalatie-versturen").await;
    let status = b.text("#status").await.unwrap();
    assert!(status.contains("stap 1"), "{status}");
    let url = b.current_url().await.unwrap();
    let path = url[url.find("/escalaties/").unwrap()..].to_owned();
    logout(&b).await;

    // 2. Daan, Veilig Thuis's behavioural scientist, is told in his inbox that the step
    //    waits for him (derived on his own node from the delivered events), and picks it up
    login(&b, &vt, "daan").await;
    let told = reload_until(
        &b,
        &format!("{vt}/meldingen"),
        "#meldingen-lijst",
        "op te pakken",
    )
    .await;
    assert!(
        told.contains("escalatie LT-2026-0200") && told.contains("nieuw"),
        "{told}"
    );
    let unread = b.text("#meldingen").await.unwrap();
    assert!(unread.contains("Meldingen"), "{unread}");
    shot(&b, "meldingen.png").await;
    // he chooses one mail a day instead of each at once
    b.click("#voorkeur summary").await.unwrap();
    b.click("#wijze-dagelijks").await.unwrap();
    submit(&b, "#voorkeur-opslaan").await;
    assert!(
        b.text("[role=status]")
            .await
            .unwrap()
            .contains("Voorkeur opgeslagen")
    );
    assert!(
        b.text("#voorkeur summary")
            .await
            .unwrap()
            .contains("één overzicht per dag")
    );
    let opened = b
        .client
        .find(Locator::Css("#meldingen-lijst li:first-child a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    submit(&b, "#meldingen-lijst li:first-child a").await;
    let url = b.current_url().await.unwrap();
    assert!(
        url.ends_with(&path),
        "the notification opens its item: {url}"
    );
    b.goto(&format!("{vt}/meldingen")).await.unwrap();
    let class = b
        .client
        .execute(
            "return document.querySelector(`#meldingen-lijst a[href='${arguments[0]}']`).parentElement.className;",
            vec![serde_json::json!(opened)],
        )
        .await
        .unwrap();
    assert_eq!(class, "gelezen", "opened, so read");
    logout(&b).await;
    pick_up_as(&b, &vt, "daan", &path, "stap 1").await;
    // Anna, who asked, hears that it was picked up
    login(&b, &lt, "anna").await;
    let told = reload_until(
        &b,
        &format!("{lt}/meldingen"),
        "#meldingen-lijst",
        "veranderd",
    )
    .await;
    let mut hers = Vec::new();
    for li in b
        .client
        .find_all(Locator::Css("#meldingen-lijst li"))
        .await
        .unwrap()
    {
        let t = li.text().await.unwrap();
        if t.contains("LT-2026-0200") {
            hers.push(t);
        }
    }
    assert!(
        !hers.is_empty() && hers.iter().all(|t| t.contains("veranderd")),
        "she hears of the pick-up; her own step never waits for her: {told}"
    );
    logout(&b).await;

    // 3. step 1 did not bridge the difference: Anna records it and invokes step 2
    login(&b, &lt, "anna").await;
    reload_until(&b, &format!("{lt}{path}"), "#status", "opgepakt").await;
    family_and_outcome(
        &b,
        &format!("{lt}{path}"),
        false,
        "De gedragswetenschappers blijven van inzicht verschillen.",
    )
    .await;
    b.fill("#reden", "Stap 1 heeft het verschil niet overbrugd.")
        .await
        .unwrap();
    submit(&b, "#volgende-stap").await;
    assert!(b.text("#status").await.unwrap().contains("stap 2"));
    logout(&b).await;

    // 4. Vera, Veilig Thuis's team manager, picks step 2 up
    pick_up_as(&b, &vt, "vera", &path, "stap 2").await;

    // 5. step 2 gave insufficient result: Eva, the local team's manager, invokes step 3 with
    //    the municipality joining and its civil servant taking part
    login(&b, &lt, "eva").await;
    reload_until(&b, &format!("{lt}{path}"), "#status", "opgepakt").await;
    family_and_outcome(
        &b,
        &format!("{lt}{path}"),
        false,
        "Geen doorbraak: er is beleid van de gemeente nodig.",
    )
    .await;
    // a civil servant of an organisation that does not join is refused by its rule
    invoke_step_3(&b, &demo.oin("municipality"), false).await;
    let refused = b.text("[role=alert]").await.unwrap();
    assert!(
        refused.contains("escalation.participant_not_party") && refused.contains("Dit kan nu niet"),
        "{refused}"
    );
    // as an error summary whose link leads back to the form
    let link = b
        .client
        .find(Locator::Css(".foutsamenvatting a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap();
    assert_eq!(link.as_deref(), Some("#volgende-stap"));
    accessible(&b, "a refused step 3").await;
    b.goto(&format!("{lt}{path}")).await.unwrap();
    invoke_step_3(&b, &demo.oin("municipality"), true).await;
    let said = b.text("main .melding").await.unwrap();
    assert!(said.contains("Volgende stap ingezet"), "{said}");
    let status = b.text("#status").await.unwrap();
    assert!(status.contains("stap 3"), "{status}");
    assert!(b.text("ol.stappen").await.unwrap().contains("Joost Beleid"));
    shot(&b, "escalatie-stap-3.png").await;
    logout(&b).await;

    // 6. the alderman sees an escalation at step 3; Joost, the civil servant, picks it up
    login(&b, &gem, "ilse").await;
    figure_until(&b, &gem, "open-3-1", |f| {
        f.as_deref().is_some_and(|t| t.contains("<5"))
    })
    .await;
    logout(&b).await;
    pick_up_as(&b, &gem, "joost", &path, "stap 3").await;

    // 7. the decision is recorded and Anna closes the escalation with its classification
    login(&b, &lt, "eva").await;
    reload_until(&b, &format!("{lt}{path}"), "#status", "opgepakt").await;
    family_and_outcome(
        &b,
        &format!("{lt}{path}"),
        true,
        "Besluit: de gemeente financiert de begeleide terugplaatsing.",
    )
    .await;
    logout(&b).await;
    login(&b, &lt, "anna").await;
    b.goto(&format!("{lt}{path}")).await.unwrap();
    b.click("#sluit-knelpunt-system-legal").await.unwrap();
    b.click("#sluit-reikwijdte-structural").await.unwrap();
    b.click("#sluit-bevestig").await.unwrap();
    submit(&b, "#afsluiten").await;
    let status = b.text("#status").await.unwrap();
    assert!(
        status.contains("gesloten") && status.contains("juridisch"),
        "{status}"
    );
    let ladder = b.text("ol.ladder").await.unwrap();
    assert!(
        ladder.contains("Stap 3") || ladder.contains("stap 3"),
        "{ladder}"
    );
    // a private note, kept at this organisation only
    b.fill("#notitie", "Moeder gebeld over het besluit.")
        .await
        .unwrap();
    submit(&b, "#notitie-opslaan").await;
    assert!(
        b.text("#notities")
            .await
            .unwrap()
            .contains("Moeder gebeld over het besluit.")
    );
    logout(&b).await;
    login(&b, &vt, "vera").await;
    reload_until(&b, &format!("{vt}{path}"), "#status", "gesloten").await;
    assert!(
        !b.text("#notities").await.unwrap().contains("Moeder gebeld"),
        "another organisation never sees the note"
    );
    logout(&b).await;

    // 8. the alderman's figures follow: nothing left at step 3; the one closed escalation's
    //    bottleneck is counted but, from one organisation alone, never shown
    login(&b, &gem, "ilse").await;
    figure_until(&b, &gem, "open-3-1", Option::is_none).await;
    let bottlenecks = figure(&b, &gem, "knelpunten").await.unwrap_or_default();
    assert!(
        bottlenecks.contains("te weinig organisaties"),
        "{bottlenecks}"
    );
    logout(&b).await;

    // 9. a kwestie raised by Anna is not picked up in time (the node's development clock moves
    //    on), she and Eva escalate it to the board, and Hans, board member, resolves it
    login(&b, &lt, "anna").await;
    b.goto(&format!("{lt}/kwesties/nieuw?zaak=LT-2026-0200"))
        .await
        .unwrap();
    b.fill(
        "#obstacle",
        "Geen plek voor begeleid wonen binnen 10 weken.",
    )
    .await
    .unwrap();
    b.click("#cat-waiting_list").await.unwrap();
    b.click("#own_reach").await.unwrap();
    b.click("#bespr-team").await.unwrap();
    b.click("#knows").await.unwrap();
    b.fill("#child_needs", "Begeleid wonen binnen 4 weken.")
        .await
        .unwrap();
    submit(&b, "form.formulier button[type=submit]").await;
    let url = b.current_url().await.unwrap();
    let kwestie = url[url.find("/kwesties/").unwrap()..].to_owned();
    let not_yet = b.text("#bestuur-waarom").await.unwrap();
    assert!(not_yet.contains("kwestie."), "not due yet: {not_yet}");
    logout(&b).await;
    login(&b, &lt, "beheer").await;
    b.goto(&format!("{lt}/beheer")).await.unwrap();
    b.fill("#klok-dagen", "30").await.unwrap();
    submit(&b, "#klok-zetten").await;
    assert!(b.text("#klok-nu").await.unwrap().contains("30"));
    logout(&b).await;
    login(&b, &lt, "anna").await;
    b.goto(&format!("{lt}{kwestie}")).await.unwrap();
    b.fill("#medeondertekenaar", "eva").await.unwrap();
    b.select_option("#rol-ander", "team_manager").await.unwrap();
    submit(&b, "#bestuur").await;
    let said = b.text("main .melding").await.unwrap();
    assert!(said.contains("Opgeschaald naar het bestuur"), "{said}");
    logout(&b).await;
    login(&b, &lt, "hans").await;
    b.goto(&format!("{lt}{kwestie}")).await.unwrap();
    submit(&b, "#oppakken").await;
    assert!(b.text("main .melding").await.unwrap().contains("Opgepakt"));
    b.fill(
        "#oplossing-tekst",
        "Het bestuur stelt een plek in de crisisvoorziening beschikbaar.",
    )
    .await
    .unwrap();
    b.click("#opl-gezin-ja").await.unwrap();
    b.click("#opl-knelpunt-system-organisational")
        .await
        .unwrap();
    b.click("#opl-reikwijdte-structural").await.unwrap();
    b.click("#opl-bevestig").await.unwrap();
    submit(&b, "#oplossen").await;
    let done = b.text("#oplossing").await.unwrap();
    assert!(done.contains("systeem: organisatorisch"), "{done}");
    shot(&b, "kwestie-bestuur-opgelost.png").await;
    b.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_hold_up_with_a_thousand_escalations() {
    let Some(b) = Browser::start().await.unwrap() else {
        return;
    };
    let dir = support::tempdir("web-lists");
    let demo = Demo::start(&dir);
    let lt = demo.http("local_team");
    let (vt, gi) = (demo.oin("veilig_thuis"), demo.oin("certified_institution"));
    let api = support::http_client();
    // 1,000 escalations of the local team (through the API, eight at a time): two cases,
    // Veilig Thuis or the GI, situation 2 or 3, each with a word of its own in its question
    for (token, case) in [
        ("demo-lokaal-team-anna", "LT-2026-0300"),
        ("demo-lokaal-team-carla", "LT-2026-0301"),
    ] {
        let r = api
            .post(format!("{lt}/api/v1/cases"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "case_ref": case, "title": "Reeks (pseudoniem)" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    let n = 1000usize;
    let mut tasks = tokio::task::JoinSet::new();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for _ in 0..8 {
        let (api, lt, vt, gi, next) = (
            api.clone(),
            lt.clone(),
            vt.clone(),
            gi.clone(),
            next.clone(),
        );
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return;
                }
                let r = api
                    .post(format!("{lt}/api/v1/escalations"))
                    .bearer_auth("demo-lokaal-team-anna")
                    .json(&serde_json::json!({
                        "case_ref": if i % 4 == 0 { "LT-2026-0301" } else { "LT-2026-0300" },
                        "situation": if i % 2 == 0 { "agreements_not_kept" } else { "conduct" },
                        "first_step": "management",
                        "counterparts": [if i % 5 == 0 { &gi } else { &vt }],
                        "question": format!("Reeks {i}: de hulp start niet (kenmerk r{i}x)."),
                        "needs": "Start van de hulp.",
                        "seeking_youth_help_access": false,
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
            }
        });
    }
    while let Some(t) = tasks.join_next().await {
        t.unwrap();
    }
    login(&b, &lt, "anna").await;
    let count = |b: &Browser| {
        let b = b.client.clone();
        async move {
            b.find(Locator::Css("#aantal"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    // the series by its word: 1.000 in pages of 50
    b.goto(&format!("{lt}/escalaties?zoek=Reeks"))
        .await
        .unwrap();
    let c = count(&b).await;
    assert!(c.starts_with("1–50 van 1.000 escalaties"), "{c}");
    assert!(c.contains("pagina 1 van 20"), "{c}");
    assert_eq!(
        b.client
            .find_all(Locator::Css("table.escalaties tbody tr"))
            .await
            .unwrap()
            .len(),
        50
    );
    // subject and counterpart columns
    let table = b.text("table.escalaties").await.unwrap();
    assert!(
        table.contains("Onderwerp") && table.contains("Met"),
        "{table}"
    );
    assert!(table.contains("Veilig Thuis Utrecht"), "{table}");
    shot(&b, "escalaties-lijst.png").await;
    submit(&b, "#volgende").await;
    assert!(count(&b).await.starts_with("51–100 van 1.000"));
    // filters together: the GI (every fifth), situation 3 (the odd ones): 100
    b.select_option("#f-partij", &gi).await.unwrap();
    b.select_option("#f-situatie", "3").await.unwrap();
    submit(&b, "#filteren").await;
    let c = count(&b).await;
    assert!(c.starts_with("1–50 van 100 escalaties"), "{c}");
    let rows = b.text("table.escalaties tbody").await.unwrap();
    assert!(
        rows.lines().all(|l| !l.contains("Veilig Thuis")),
        "only the GI: {rows}"
    );
    // the case's responsible person: Carla's case holds every fourth
    b.goto(&format!(
        "{lt}/escalaties?zoek=Reeks&verantwoordelijke=carla"
    ))
    .await
    .unwrap();
    assert!(count(&b).await.contains("van 250 escalaties"));
    // one by its own word; the oldest first
    b.goto(&format!("{lt}/escalaties?zoek=r777x"))
        .await
        .unwrap();
    let c = count(&b).await;
    assert!(c.starts_with("1–1 van 1 escalaties"), "{c}");
    assert!(
        b.text("table.escalaties")
            .await
            .unwrap()
            .contains("Reeks 777")
    );
    b.goto(&format!("{lt}/escalaties?zoek=Reeks&sorteer=oudste"))
        .await
        .unwrap();
    let first = b
        .text("table.escalaties tbody tr:first-child")
        .await
        .unwrap();
    // eight at a time: the oldest is one of the first few sent
    let n: usize = first
        .split("Reeks ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX);
    assert!(n < 16, "the oldest first: {first}");
    // the last page holds the rest, and a page past the end is empty but says so
    b.goto(&format!("{lt}/escalaties?zoek=Reeks&pagina=20"))
        .await
        .unwrap();
    assert!(count(&b).await.starts_with("951–1000 van 1.000"));
    assert!(b.client.find(Locator::Css("#volgende")).await.is_err());
    // the cases too: searched, only mine, paged
    b.goto(&format!("{lt}/casussen?zoek=2026-0301"))
        .await
        .unwrap();
    let c = count(&b).await;
    assert!(c.starts_with("1–1 van 1 casussen"), "{c}");
    assert!(b.text("#zaken").await.unwrap().contains("carla"));
    b.goto(&format!("{lt}/casussen")).await.unwrap();
    let all = count(&b).await;
    b.click("#mijn").await.unwrap();
    submit(&b, "#filteren").await;
    let mine = count(&b).await;
    assert_ne!(all, mine, "Carla's case is not Anna's: {all} / {mine}");
    assert!(!b.text("#zaken").await.unwrap().contains("LT-2026-0301"));
    // every list screen passes axe-core and fits a phone
    for (path, name) in [
        ("/casussen", "casussen.png"),
        ("/kwesties", "kwesties.png"),
        ("/overleggen", "overleggen.png"),
    ] {
        b.goto(&format!("{lt}{path}")).await.unwrap();
        b.wait_for("#aantal").await.unwrap();
        shot(&b, name).await;
    }
    // a filter outside the offered choices is refused, naming the field in Dutch
    b.goto(&format!("{lt}/escalaties?stap=9")).await.unwrap();
    let refused = b.text("[role=alert]").await.unwrap();
    assert!(
        refused.contains("stap") && refused.contains("input.invalid_field"),
        "{refused}"
    );
    b.close().await.unwrap();
}
