// TrustID service-counter page.
//
// Three ways in (camera, image upload, scanner text), one way out: POST verify/qr and show
// a verdict big enough to read from a metre away. Privacy by construction: no storage,
// no cookies, every result is wiped from the DOM after CLEAR_AFTER_MS or on "Next
// citizen", and only textContent is ever written (claims are data, never markup).
// Loaded as an external script so the page runs under script-src 'self' (no inline JS).
"use strict";

(() => {
  const CLEAR_AFTER_MS = 60_000;
  const FRAME_INTERVAL_MS = 400;
  const CAMERA_TIMEOUT_MS = 120_000;
  const FRAME_MAX_SIDE = 1280;
  const ENDPOINT = "verify/qr"; // relative: works behind a path prefix too
  const CHALLENGES = "challenges";
  const REQUESTS = "presentation-requests"; // OpenID4VP "Ask for"
  const POLL_MS = 1000;

  const $ = (id) => document.getElementById(id);
  const ui = {
    form: $("scan-form"),
    text: $("scan-text"),
    file: $("file-input"),
    drop: $("drop-zone"),
    cameraBox: $("camera-box"),
    video: $("camera-video"),
    cameraStart: $("camera-start"),
    cameraStop: $("camera-stop"),
    cameraState: $("camera-state"),
    challenge: $("challenge"),
    challengeNew: $("challenge-new"),
    domain: $("domain"),
    apiKey: $("api-key"),
    busy: $("busy"),
    live: $("verdict-live"),
    idle: $("idle"),
    next: $("next"),
    clearNote: $("clear-note"),
    template: $("verdict-template"),
    askBox: $("ask-box"),
    askQr: $("ask-qr"),
    askState: $("ask-state"),
    askLink: $("ask-link"),
    askCancel: $("ask-cancel"),
  };
  const ask = { id: null, timer: null, qrUrl: null, expiresAt: 0, preset: null };

  let clearTimer = null;
  let countdownTimer = null;
  let inFlight = null; // AbortController of the current submission
  const camera = { stream: null, timer: null, busy: false, detector: null, startedAt: 0 };

  // ---------------------------------------------------------------- wording helpers

  function typeLabel(types) {
    const list = Array.isArray(types) ? types : [types];
    const specific = list.find((t) => typeof t === "string" && t !== "VerifiableCredential");
    if (!specific) return "Credential";
    const words = specific
      .replace(/Credential$/, "")
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
      .trim();
    return words || specific;
  }

  function firstSubject(credential) {
    const subject = credential && credential.credentialSubject;
    return Array.isArray(subject) ? subject[0] || {} : subject || {};
  }

  function holderName(credential) {
    const s = firstSubject(credential);
    if (typeof s.name === "string" && s.name.trim()) return s.name.trim();
    const parts = [s.givenName, s.familyName].filter((p) => typeof p === "string" && p.trim());
    return parts.length ? parts.join(" ") : null;
  }

  function issuerName(report, credential) {
    if (report.issuer && typeof report.issuer.name === "string" && report.issuer.name) {
      return report.issuer.name;
    }
    const issuer = credential && credential.issuer;
    if (typeof issuer === "string") return issuer;
    if (issuer && typeof issuer === "object") return issuer.name || issuer.id || null;
    return null;
  }

  function formatDate(value, withTime) {
    if (typeof value !== "string") return null;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return value;
    const options = withTime
      ? { dateStyle: "medium", timeStyle: "medium" }
      : { dateStyle: "long" };
    return new Intl.DateTimeFormat(undefined, options).format(date);
  }

  function sentence(text) {
    // Server details are written as clauses ("the issuer is not..."): start with a capital.
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  }

  function messageOf(item) {
    if (typeof item === "string") return sentence(item);
    if (!item || typeof item !== "object") return null;
    const title = typeof item.title === "string" ? item.title : "";
    const detail = typeof item.detail === "string" ? item.detail : "";
    if (title && detail && detail !== title) return `${title}: ${detail}`;
    return sentence(detail) || title || (typeof item.code === "string" ? item.code : null);
  }

  function reasonsOf(report) {
    const problems = Array.isArray(report.problemDetails) ? report.problemDetails : [];
    const fromProblems = problems.map(messageOf).filter(Boolean);
    if (fromProblems.length) return fromProblems;
    const checks = Array.isArray(report.checks) ? report.checks : [];
    return checks.filter((c) => c && c.status === "failed").map(messageOf).filter(Boolean);
  }

  function warningsOf(report) {
    const out = (Array.isArray(report.warnings) ? report.warnings : []).map(messageOf);
    for (const inner of Array.isArray(report.credentials) ? report.credentials : []) {
      for (const w of Array.isArray(inner.warnings) ? inner.warnings : []) out.push(messageOf(w));
    }
    return [...new Set(out.filter(Boolean))];
  }

  // ---------------------------------------------------------------- rendering

  function addFact(list, label, value) {
    if (value === null || value === undefined || value === "") return;
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = String(value);
    dd.dataset.fact = label.toLowerCase().replace(/[^a-z]+/g, "-");
    list.append(dt, dd);
  }

  function fillList(container, listClass, items) {
    if (!items.length) return;
    const ul = container.querySelector(listClass);
    for (const text of items) {
      const li = document.createElement("li");
      li.textContent = text;
      ul.append(li);
    }
    container.hidden = false;
  }

  // Selective disclosure (SD-JWT VC): the result names what the holder showed
  // (credential.disclosed) and what the type has but was not shown (credential.withheld).
  const AGE_CLAIM = /^age_over_(\d+)$/;

  function claimLabel(name) {
    const age = AGE_CLAIM.exec(name);
    if (age) return `Over ${age[1]}`;
    const words = String(name)
      .replace(/\./g, " ")
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .replace(/_/g, " ")
      .toLowerCase();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function claimValue(value) {
    if (value === true) return "yes";
    if (value === false) return "no";
    if (Array.isArray(value)) return value.map(claimValue).join(", ");
    if (value && typeof value === "object") return Object.values(value).map(claimValue).join(", ");
    return String(value);
  }

  function disclosedFacts(node, facts, credential) {
    const disclosed = credential.disclosed;
    for (const [name, value] of Object.entries(disclosed)) {
      if (AGE_CLAIM.test(name) && typeof value === "boolean") {
        // The question a counter asks most: one big yes/no, and no other claim needed.
        const answer = document.createElement("p");
        answer.className = `age-answer ${value ? "age-yes" : "age-no"}`;
        answer.dataset.claim = name;
        answer.textContent = `${claimLabel(name)}: ${value ? "yes" : "no"}`;
        facts.before(answer);
      } else {
        addFact(facts, claimLabel(name), claimValue(value));
      }
    }
    const withheld = Array.isArray(credential.withheld) ? credential.withheld : [];
    for (const name of withheld) {
      if (typeof name === "string") addFact(facts, claimLabel(name), "not shared");
    }
  }

  function credentialFacts(facts, report) {
    const credential = report.credential;
    if (!credential || typeof credential !== "object") return;
    const selective = credential.disclosed && typeof credential.disclosed === "object";
    if (selective) disclosedFacts(facts.parentNode, facts, credential);
    else addFact(facts, "Holder", holderName(credential));
    addFact(facts, "Document", typeLabel(credential.type));
    addFact(facts, "Issued by", issuerName(report, credential));
    addFact(facts, "Valid until", formatDate(credential.validUntil, false) || "No end date");
    addFact(facts, "Status as of", formatDate(report.statusAsOf, true));
  }

  function renderVerdict(report) {
    const node = ui.template.content.firstElementChild.cloneNode(true);
    const facts = node.querySelector(".facts");
    const isPresentation = Array.isArray(report.credentials);
    const valid = report.verified === true;
    // A verified presentation of no credential (a holder proof, DID authentication) only
    // shows who answered the challenge: never the green VALID of a credential.
    const holderProof = isPresentation && valid && report.holderProofOnly === true;
    const kind = holderProof ? "holder-proof" : valid ? "valid" : "invalid";
    node.classList.add(`verdict-${kind}`);
    node.querySelector(".verdict-word").textContent = holderProof
      ? "Holder proof only"
      : valid ? "✓ VALID" : "✗ NOT VALID";
    let sub;
    if (holderProof) {
      sub = "Holder proof only - no credential: it proves no name, document or claim";
      addFact(facts, "Signed by", typeof report.holder === "string" ? report.holder : "");
    } else if (isPresentation) {
      sub = valid ? "Presentation verified for this counter" : "Presentation rejected";
      const inner = report.credentials.filter((r) => r && r.credential);
      if (inner.length) credentialFacts(facts, inner[0]);
      for (const extra of inner.slice(1)) addFact(facts, "Also", typeLabel(extra.credential.type));
    } else {
      sub = valid ? "Compare the name with the holder's photo ID" : "Do not accept this credential";
      credentialFacts(facts, report);
    }
    node.querySelector(".verdict-sub").textContent = sub;
    if (!valid) {
      const reasons = reasonsOf(report);
      if (isPresentation) {
        for (const inner of report.credentials) {
          if (inner && inner.verified === false) reasons.push(...reasonsOf(inner));
        }
      }
      fillList(
        node.querySelector(".reasons"),
        ".reasons-list",
        reasons.length ? [...new Set(reasons)] : ["The verifier gave no reason."],
      );
    }
    fillList(node.querySelector(".warnings"), ".warnings-list", warningsOf(report));
    show(node);
  }

  function renderUnread(title, detail) {
    const node = ui.template.content.firstElementChild.cloneNode(true);
    node.classList.add("verdict-unread");
    node.querySelector(".verdict-word").textContent = "Could not read";
    node.querySelector(".verdict-sub").textContent = title;
    if (detail && detail !== title) {
      fillList(node.querySelector(".reasons"), ".reasons-list", [sentence(detail)]);
      node.querySelector(".reasons h2").textContent = "Details";
    }
    // A presentation QR needs the challenge it was made for: show where to enter it.
    if (/challenge/i.test(`${title} ${detail}`)) $("options").open = true;
    show(node);
  }

  function show(node) {
    wipe();
    ui.idle.hidden = true;
    ui.live.append(node);
    ui.next.hidden = false;
    startClearCountdown();
    // Back to the scanner field (unless staff are typing options), so the next scan from
    // a USB scanner lands somewhere; the live region announces the verdict meanwhile.
    if (!$("options").contains(document.activeElement)) ui.text.focus({ preventScroll: true });
  }

  function wipe() {
    for (const old of ui.live.querySelectorAll(".verdict")) old.remove();
  }

  function startClearCountdown() {
    clearTimeout(clearTimer);
    clearInterval(countdownTimer);
    const deadline = Date.now() + CLEAR_AFTER_MS;
    const tick = () => {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      ui.clearNote.textContent = `Clears automatically in ${left} s`;
    };
    tick();
    ui.clearNote.hidden = false;
    countdownTimer = setInterval(tick, 1000);
    clearTimer = setTimeout(() => clearAll(), CLEAR_AFTER_MS);
  }

  // Removes every trace of the last citizen: verdict DOM, inputs, timers, camera.
  function clearAll() {
    clearTimeout(clearTimer);
    clearInterval(countdownTimer);
    if (inFlight) inFlight.abort();
    stopCamera("");
    cancelAsk();
    wipe();
    ui.idle.hidden = false;
    ui.next.hidden = true;
    ui.clearNote.hidden = true;
    ui.clearNote.textContent = "";
    ui.busy.hidden = true;
    ui.text.value = "";
    ui.file.value = "";
    ui.challenge.value = ""; // a challenge is single-use
    ui.text.focus();
  }

  // ---------------------------------------------------------------- talking to the verifier

  function formWith(fields) {
    const body = new FormData();
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
    const challenge = ui.challenge.value.trim();
    const domain = ui.domain.value.trim();
    if (challenge) body.append("challenge", challenge);
    if (domain) body.append("domain", domain);
    return body;
  }

  // Returns {kind: "verdict", report} | {kind: "problem", status, code, title, detail}.
  async function post(body, signal) {
    const headers = { Accept: "application/json, application/problem+json" };
    const key = ui.apiKey.value.trim();
    if (key) headers.Authorization = `Bearer ${key}`;
    let response;
    try {
      response = await fetch(ENDPOINT, {
        method: "POST",
        body,
        headers,
        signal,
        cache: "no-store",
        credentials: "same-origin", // the counter session cookie binds its challenges
        referrerPolicy: "no-referrer",
      });
    } catch (error) {
      if (error && error.name === "AbortError") throw error;
      return { kind: "problem", status: 0, code: "network", title: "The verifier cannot be reached", detail: "Check the network and try again." };
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (data && typeof data.verified === "boolean" && (response.ok || response.status === 400)) {
      return { kind: "verdict", report: data };
    }
    return problemFrom(response.status, data);
  }

  function problemFrom(status, data) {
    const code = data && typeof data.code === "string" ? data.code : `http_${status}`;
    let title = data && typeof data.title === "string" ? data.title : "";
    let detail = data && typeof data.detail === "string" ? data.detail : "";
    if (status === 401 || status === 403) {
      title = "This counter is not authorised";
      detail = "Enter the counter API key under Presentation options.";
    } else if (status === 413) {
      title = title || "The image is too large";
    } else if (status === 429) {
      title = "Too many checks at once";
      detail = "Wait a few seconds and try again.";
    } else if (status >= 500 || status === 0) {
      title = "The verifier is not available";
      detail = "Try again in a moment.";
    }
    return { kind: "problem", status, code, title: title || "The code could not be read", detail };
  }

  async function submit(fields) {
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    ui.busy.hidden = false;
    try {
      const outcome = await post(formWith(fields), controller.signal);
      if (outcome.kind === "verdict") renderVerdict(outcome.report);
      else renderUnread(outcome.title, outcome.detail);
    } catch (error) {
      if (!(error && error.name === "AbortError")) renderUnread("Something went wrong", String(error));
    } finally {
      if (inFlight === controller) {
        inFlight = null;
        ui.busy.hidden = true;
      }
    }
  }

  function submitText(text) {
    const value = text.trim();
    if (!value) return;
    ui.text.value = "";
    return submit({ text: value });
  }

  function submitFile(file) {
    if (!file) return;
    ui.file.value = "";
    return submit({ file });
  }

  // ---------------------------------------------------------------- camera

  function cameraMessage(error) {
    const name = error && error.name;
    if (name === "NotAllowedError") return "Camera permission was refused.";
    if (name === "NotFoundError" || name === "OverconstrainedError") return "No camera found.";
    if (name === "NotReadableError") return "The camera is in use by another program.";
    return "The camera could not be started.";
  }

  async function startCamera() {
    if (camera.stream) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      ui.cameraState.textContent = "No camera access here (the page needs HTTPS or localhost).";
      return;
    }
    ui.cameraState.textContent = "Starting camera…";
    try {
      camera.stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch (error) {
      ui.cameraState.textContent = cameraMessage(error);
      return;
    }
    ui.video.srcObject = camera.stream;
    ui.cameraBox.hidden = false;
    ui.cameraStart.hidden = true;
    ui.cameraStop.hidden = false;
    try {
      await ui.video.play();
    } catch (_) {
      // Autoplay refusal is harmless: frames are still grabbed once data arrives.
    }
    camera.detector = await qrDetector();
    camera.startedAt = Date.now();
    ui.cameraState.textContent = "Looking for a QR code…";
    camera.timer = setInterval(scanFrame, FRAME_INTERVAL_MS);
  }

  async function qrDetector() {
    // BarcodeDetector decodes on the device (no frame leaves it); where the browser lacks
    // it (desktop Linux/Windows Chrome, Firefox) frames go to the verifier instead.
    if (!("BarcodeDetector" in window)) return null;
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    } catch (_) {
      return null;
    }
  }

  function stopCamera(message) {
    clearInterval(camera.timer);
    camera.timer = null;
    if (camera.stream) for (const track of camera.stream.getTracks()) track.stop();
    camera.stream = null;
    camera.detector = null;
    ui.video.srcObject = null;
    ui.cameraBox.hidden = true;
    ui.cameraStart.hidden = false;
    ui.cameraStop.hidden = true;
    ui.cameraState.textContent = message;
  }

  function grabFrame() {
    const video = ui.video;
    const scale = Math.min(1, FRAME_MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
  }

  async function scanFrame() {
    if (!camera.stream || camera.busy || ui.video.readyState < 2 || !ui.video.videoWidth) return;
    if (Date.now() - camera.startedAt > CAMERA_TIMEOUT_MS) {
      stopCamera("Camera stopped: no QR code seen for 2 minutes.");
      return;
    }
    camera.busy = true;
    try {
      if (camera.detector) {
        const codes = await camera.detector.detect(ui.video);
        if (codes.length && codes[0].rawValue) {
          stopCamera("Code read.");
          await submit({ text: codes[0].rawValue });
        }
        return;
      }
      const blob = await grabFrame();
      if (!blob || !camera.stream) return;
      const outcome = await post(formWith({ file: new File([blob], "frame.jpg", { type: "image/jpeg" }) }));
      if (!camera.stream) return; // stopped while the frame was in flight
      if (outcome.kind === "problem" && outcome.code === "no_qr_found") return; // keep looking
      stopCamera("Code read.");
      if (outcome.kind === "verdict") renderVerdict(outcome.report);
      else renderUnread(outcome.title, outcome.detail);
    } catch (error) {
      stopCamera("The camera stopped: " + String(error));
    } finally {
      camera.busy = false;
    }
  }

  // ---------------------------------------------------------------- asking a wallet

  // "Ask for": POST presentation-requests with a preset, show its QR (fetched with the
  // counter's key or session, shown from a blob: URL), poll its state, then show only the
  // claims that were asked for.
  function apiHeaders() {
    const headers = { Accept: "application/json, application/problem+json" };
    const key = ui.apiKey.value.trim();
    if (key) headers.Authorization = `Bearer ${key}`;
    return headers;
  }

  function cancelAsk() {
    clearTimeout(ask.timer);
    ask.timer = null;
    ask.id = null;
    if (ask.qrUrl) URL.revokeObjectURL(ask.qrUrl);
    ask.qrUrl = null;
    ui.askQr.removeAttribute("src");
    ui.askLink.value = "";
    ui.askState.textContent = "";
    ui.askBox.hidden = true;
  }

  async function askFor(preset) {
    clearAll();
    let response;
    let data = null;
    try {
      response = await fetch(REQUESTS, {
        method: "POST",
        headers: { ...apiHeaders(), "Content-Type": "application/json" },
        body: JSON.stringify({ preset }),
        cache: "no-store",
        credentials: "same-origin", // the counter session cookie owns the request
        referrerPolicy: "no-referrer",
      });
      data = await response.json();
    } catch (_) {
      renderUnread("The verifier cannot be reached", "Check the network and try again.");
      return;
    }
    if (response.status !== 201 || !data || typeof data.id !== "string") {
      const problem = problemFrom(response.status, data);
      renderUnread(problem.title, problem.detail);
      return;
    }
    ask.id = data.id;
    ask.preset = preset;
    ask.expiresAt = Date.parse(data.expiresAt) || Date.now() + 300_000;
    ui.askLink.value = data.request;
    ui.askBox.hidden = false;
    ui.askState.textContent = "Waiting for the citizen's wallet…";
    try {
      const png = await fetch(`${REQUESTS}/${encodeURIComponent(data.id)}/qr.png`, {
        headers: apiHeaders(),
        cache: "no-store",
        credentials: "same-origin",
        referrerPolicy: "no-referrer",
      });
      if (png.ok && ask.id === data.id) {
        ask.qrUrl = URL.createObjectURL(await png.blob());
        ui.askQr.src = ask.qrUrl;
      }
    } catch (_) {
      // The link below the code still works.
    }
    ask.timer = setTimeout(pollAsk, POLL_MS);
  }

  async function pollAsk() {
    const id = ask.id;
    if (!id) return;
    let data = null;
    try {
      const response = await fetch(`${REQUESTS}/${encodeURIComponent(id)}`, {
        headers: apiHeaders(),
        cache: "no-store",
        credentials: "same-origin",
        referrerPolicy: "no-referrer",
      });
      if (response.ok) data = await response.json();
    } catch (_) {
      data = null; // a network blip: keep waiting
    }
    if (ask.id !== id) return; // cancelled meanwhile
    if (data && data.state && data.state !== "pending") {
      const preset = ask.preset;
      cancelAsk();
      renderAnswer(data, preset);
      return;
    }
    const left = Math.max(0, Math.ceil((ask.expiresAt - Date.now()) / 1000));
    ui.askState.textContent = `Waiting for the citizen's wallet… (${left} s left)`;
    ask.timer = setTimeout(pollAsk, POLL_MS);
  }

  function answerReasons(state) {
    const result = state.result || {};
    if (state.state === "expired") return ["The request expired before a wallet answered."];
    const problems = Array.isArray(result.problemDetails) ? result.problemDetails : [];
    const reasons = problems.map((p) => sentence(messageOf(p))).filter(Boolean);
    return reasons.length ? [...new Set(reasons)] : ["The verifier gave no reason."];
  }

  // Only the requested claims (result.claims): nothing the wallet may have added, no
  // document details. "Over 18" is one big yes/no.
  function renderAnswer(state, preset) {
    const node = ui.template.content.firstElementChild.cloneNode(true);
    const facts = node.querySelector(".facts");
    const result = state.result || {};
    const valid = state.state === "verified" && result.verified === true;
    node.classList.add(valid ? "verdict-valid" : "verdict-invalid");
    node.querySelector(".verdict-word").textContent = valid ? "✓ VALID" : "✗ NOT VALID";
    let sub = valid ? "Answered by the citizen's wallet" : "Do not accept";
    if (valid && preset === "identity") sub = "Compare the name and birth date with the person in front of you";
    node.querySelector(".verdict-sub").textContent = sub;
    if (valid) {
      for (const answers of Object.values(result.claims || {})) {
        for (const claims of Array.isArray(answers) ? answers : []) {
          for (const [name, value] of Object.entries(claims || {})) {
            if (AGE_CLAIM.test(name) && typeof value === "boolean") {
              const answer = document.createElement("p");
              answer.className = `age-answer ${value ? "age-yes" : "age-no"}`;
              answer.dataset.claim = name;
              answer.textContent = `${claimLabel(name)}: ${value ? "yes" : "no"}`;
              facts.before(answer);
            } else {
              addFact(facts, claimLabel(name), claimValue(value));
            }
          }
        }
      }
    } else {
      fillList(node.querySelector(".reasons"), ".reasons-list", answerReasons(state));
    }
    show(node);
  }

  // ---------------------------------------------------------------- wiring

  // The challenge comes from the verifier (POST /challenges), bound to this counter's API
  // key or, without one, to this page's session cookie; it also names the domain.
  async function newChallenge() {
    const headers = { Accept: "application/json, application/problem+json" };
    const key = ui.apiKey.value.trim();
    if (key) headers.Authorization = `Bearer ${key}`;
    ui.challenge.value = "";
    let response;
    try {
      response = await fetch(CHALLENGES, {
        method: "POST",
        headers,
        cache: "no-store",
        credentials: "same-origin",
        referrerPolicy: "no-referrer",
      });
    } catch (_) {
      renderUnread("The verifier cannot be reached", "Check the network and try again.");
      return;
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok || !data || typeof data.challenge !== "string") {
      const problem = problemFrom(response.status, data);
      renderUnread(problem.title, problem.detail);
      return;
    }
    ui.challenge.value = data.challenge;
    if (typeof data.domain === "string") ui.domain.value = data.domain;
  }

  function firstImage(items) {
    for (const item of items || []) {
      const file = item.kind === "file" ? item.getAsFile() : item;
      if (file && /^image\//.test(file.type || "image/")) return file;
    }
    return null;
  }

  $("options-form").addEventListener("submit", (event) => event.preventDefault());
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitText(ui.text.value);
  });
  ui.file.addEventListener("change", () => submitFile(ui.file.files[0]));
  ui.cameraStart.addEventListener("click", () => startCamera());
  ui.cameraStop.addEventListener("click", () => stopCamera(""));
  ui.challengeNew.addEventListener("click", newChallenge);
  ui.next.addEventListener("click", clearAll);
  for (const button of document.querySelectorAll("[data-preset]")) {
    button.addEventListener("click", () => askFor(button.dataset.preset));
  }
  ui.askCancel.addEventListener("click", cancelAsk);

  // Dropping a file anywhere must not navigate away (the browser would open the image).
  document.addEventListener("dragover", (event) => {
    event.preventDefault();
    ui.drop.classList.add("drop-active");
  });
  document.addEventListener("dragleave", (event) => {
    if (!event.relatedTarget) ui.drop.classList.remove("drop-active");
  });
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    ui.drop.classList.remove("drop-active");
    const file = firstImage(event.dataTransfer && event.dataTransfer.files);
    if (file) submitFile(file);
  });
  // A pasted screenshot of a code works like an upload.
  document.addEventListener("paste", (event) => {
    if (event.target === ui.text) return; // pasting text into the scanner field
    const file = firstImage(event.clipboardData && event.clipboardData.items);
    if (file) {
      event.preventDefault();
      submitFile(file);
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") clearAll();
  });
  // Never leave a camera running behind a hidden tab.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) stopCamera("");
  });
  window.addEventListener("pagehide", () => clearAll());

  ui.text.focus();
})();
