// TrustID service-counter page.
//
// Three ways in (camera, image upload, scanner text), one way out: POST verify/qr and show
// a verdict big enough to read from a metre away. Privacy by construction: no storage,
// no cookies, every result is wiped from the DOM after CLEAR_AFTER_MS or on "Next
// citizen", and only textContent is ever written (claims are data, never markup).
// Every text is in English and Simplified Chinese (TEXTS below), with a switch.
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

  // ---------------------------------------------------------------- language
  //
  // Every text of the page in English and Simplified Chinese. The language is the one
  // staff last chose with the switch (kept in localStorage: a preference of this screen,
  // never anything about a citizen), else the first of navigator.languages the page
  // speaks (zh, zh-CN, zh-SG, zh-Hans: Simplified; zh-TW, zh-HK, zh-Hant are another
  // script and fall through), else English. Static elements name their text with
  // data-i18n (data-i18n-placeholder, -alt, -aria-label). The verifier's own problem
  // details stay as it wrote them (English).
  const TEXTS = {
    en: {
      title: "TrustID counter check",
      "bar.sub": "counter check",
      "bar.hint": "Scan the citizen's QR code. Nothing is stored on this screen.",
      "lang.label": "Language",
      "inputs.aria": "Read a QR code",
      "ask.title": "Ask for",
      "ask.hint": "The citizen scans this code with a wallet app, sees what is asked and approves; only that is shown here.",
      "ask.identity": "Identity (photo check)",
      "ask.age": "Over 18",
      "ask.licence": "Driving licence",
      "ask.qr_alt": "Request code for the citizen's wallet",
      "ask.link": "Link (for a wallet on this device)",
      "ask.cancel": "Cancel request",
      "ask.waiting": "Waiting for the citizen's wallet…",
      "ask.waiting_left": "Waiting for the citizen's wallet… ({s} s left)",
      "scan.title": "Scanner / paste",
      "scan.hint": "A USB scanner types here and presses Enter.",
      "scan.placeholder": "Scan or paste the code text",
      "scan.check": "Check",
      "camera.title": "Camera",
      "camera.hint": "Hold the code inside the frame, about 20 cm from the camera.",
      "camera.preview": "Camera preview",
      "camera.start": "Start camera",
      "camera.stop": "Stop camera",
      "camera.refused": "Camera permission was refused.",
      "camera.none": "No camera found.",
      "camera.in_use": "The camera is in use by another program.",
      "camera.failed": "The camera could not be started.",
      "camera.no_access": "No camera access here (the page needs HTTPS or localhost).",
      "camera.starting": "Starting camera…",
      "camera.looking": "Looking for a QR code…",
      "camera.timeout": "Camera stopped: no QR code seen for 2 minutes.",
      "camera.read": "Code read.",
      "camera.stopped": "The camera stopped: {error}",
      "upload.title": "Image of a QR code",
      "upload.hint": "PNG or JPEG, up to 5 MB. Or drop it anywhere on this page.",
      "options.title": "Presentation options",
      "options.hint": "Only for a presentation QR made for this counter: the wallet signs the challenge and domain shown here.",
      "options.challenge": "Challenge (nonce)",
      "options.new": "New challenge",
      "options.domain": "Domain (audience)",
      "options.key": "Counter API key (if the verifier requires one)",
      "result.aria": "Result",
      busy: "Checking…",
      "idle.big": "Ready",
      "idle.hint": "Scan, photograph or upload a QR code.",
      next: "Next citizen",
      why: "Why",
      note: "Please note",
      details: "Details",
      clears: "Clears automatically in {s} s",
      credential: "Credential",
      "fact.holder": "Holder",
      "fact.name": "Name",
      "fact.document": "Document",
      "fact.issued_by": "Issued by",
      "fact.valid_until": "Valid until",
      "fact.no_end": "No end date",
      "fact.status_as_of": "Status as of",
      "status.just_now": "just now",
      "status.min_ago": "{n} min ago",
      "status.h_ago": "{n} h ago",
      "status.aged": "Older than the issuer's refresh interval: the status may have changed since",
      "fact.signed_by": "Signed by",
      "fact.also": "Also",
      not_shared: "not shared",
      yes: "yes",
      no: "no",
      over: "Over {n}",
      answer: "{label}: {value}",
      "verdict.valid": "✓ VALID",
      "verdict.invalid": "✗ NOT VALID",
      "verdict.holder_proof": "Holder proof only",
      "verdict.unread": "Could not read",
      "sub.holder_proof": "Holder proof only - no credential: it proves no name, document or claim",
      "sub.presentation_ok": "Presentation verified for this counter",
      "sub.presentation_bad": "Presentation rejected",
      "sub.compare": "Compare the name with the holder's photo ID",
      "sub.reject": "Do not accept this credential",
      "sub.answered": "Answered by the citizen's wallet",
      "sub.do_not_accept": "Do not accept",
      "sub.identity": "Compare the name and birth date with the person in front of you",
      "photo.compare": "Compare the photo with the person",
      "photo.alt": "Photo of the credential holder",
      "reason.none": "The verifier gave no reason.",
      "reason.expired": "The request expired before a wallet answered.",
      "net.title": "The verifier cannot be reached",
      "net.detail": "Check the network and try again.",
      "unauth.title": "This counter is not authorised",
      "unauth.detail": "Enter the counter API key under Presentation options.",
      too_large: "The image is too large",
      "busy.title": "Too many checks at once",
      "busy.detail": "Wait a few seconds and try again.",
      "down.title": "The verifier is not available",
      "down.detail": "Try again in a moment.",
      unreadable: "The code could not be read",
      wrong: "Something went wrong",
    },
    "zh-Hans": {
      title: "TrustID 柜台核验",
      "bar.sub": "柜台核验",
      "bar.hint": "请扫描市民的二维码。此页面不保存任何信息。",
      "lang.label": "语言",
      "inputs.aria": "读取二维码",
      "ask.title": "请求出示",
      "ask.hint": "市民用钱包应用扫描此码，查看所请求的内容并同意；这里只显示这些内容。",
      "ask.identity": "身份（核对照片）",
      "ask.age": "年满18周岁",
      "ask.licence": "驾驶证",
      "ask.qr_alt": "供市民钱包扫描的请求码",
      "ask.link": "链接（用于本设备上的钱包）",
      "ask.cancel": "取消请求",
      "ask.waiting": "正在等待市民的钱包…",
      "ask.waiting_left": "正在等待市民的钱包…（剩余 {s} 秒）",
      "scan.title": "扫码枪 / 粘贴",
      "scan.hint": "USB 扫码枪会在此输入并按回车。",
      "scan.placeholder": "扫描或粘贴二维码文本",
      "scan.check": "核验",
      "camera.title": "摄像头",
      "camera.hint": "将二维码置于框内，距摄像头约 20 厘米。",
      "camera.preview": "摄像头预览",
      "camera.start": "打开摄像头",
      "camera.stop": "关闭摄像头",
      "camera.refused": "摄像头权限被拒绝。",
      "camera.none": "未找到摄像头。",
      "camera.in_use": "摄像头正被其他程序使用。",
      "camera.failed": "无法启动摄像头。",
      "camera.no_access": "此处无法使用摄像头（页面需要 HTTPS 或 localhost）。",
      "camera.starting": "正在打开摄像头…",
      "camera.looking": "正在寻找二维码…",
      "camera.timeout": "摄像头已关闭：2 分钟内未发现二维码。",
      "camera.read": "已读取二维码。",
      "camera.stopped": "摄像头已停止：{error}",
      "upload.title": "二维码图片",
      "upload.hint": "PNG 或 JPEG，最大 5 MB。也可以拖放到页面任意位置。",
      "options.title": "出示选项",
      "options.hint": "仅用于为本柜台生成的出示二维码：钱包会对此处显示的挑战值和域名签名。",
      "options.challenge": "挑战值（nonce）",
      "options.new": "新的挑战值",
      "options.domain": "域名（audience）",
      "options.key": "柜台 API 密钥（如验证服务要求）",
      "result.aria": "结果",
      busy: "正在核验…",
      "idle.big": "就绪",
      "idle.hint": "请扫描、拍摄或上传二维码。",
      next: "下一位",
      why: "原因",
      note: "请注意",
      details: "详情",
      clears: "{s} 秒后自动清除",
      credential: "凭证",
      "fact.holder": "持有人",
      "fact.name": "姓名",
      "fact.document": "证件",
      "fact.issued_by": "签发机构",
      "fact.valid_until": "有效期至",
      "fact.no_end": "长期有效",
      "fact.status_as_of": "状态查询时间",
      "status.just_now": "刚刚",
      "status.min_ago": "{n} 分钟前",
      "status.h_ago": "{n} 小时前",
      "status.aged": "已超过签发机构的刷新间隔：状态可能已有变化",
      "fact.signed_by": "签名者",
      "fact.also": "另有",
      not_shared: "未出示",
      yes: "是",
      no: "否",
      over: "年满{n}周岁",
      answer: "{label}：{value}",
      "verdict.valid": "✓ 有效",
      "verdict.invalid": "✗ 无效",
      "verdict.holder_proof": "仅持有人证明",
      "verdict.unread": "无法读取",
      "sub.holder_proof": "仅持有人证明，没有凭证：不能证明任何姓名、证件或声明",
      "sub.presentation_ok": "已为本柜台核验出示内容",
      "sub.presentation_bad": "出示内容被拒绝",
      "sub.compare": "请将姓名与持有人的带照片证件核对",
      "sub.reject": "请勿接受此凭证",
      "sub.answered": "由市民的钱包应答",
      "sub.do_not_accept": "请勿接受",
      "sub.identity": "请将姓名和出生日期与面前的人核对",
      "photo.compare": "核对照片与本人是否一致",
      "photo.alt": "凭证持有人的照片",
      "reason.none": "验证服务未给出原因。",
      "reason.expired": "请求在钱包应答前已过期。",
      "net.title": "无法连接验证服务",
      "net.detail": "请检查网络后重试。",
      "unauth.title": "此柜台未获授权",
      "unauth.detail": "请在“出示选项”中输入柜台 API 密钥。",
      too_large: "图片太大",
      "busy.title": "同时核验的请求过多",
      "busy.detail": "请稍等几秒后重试。",
      "down.title": "验证服务暂不可用",
      "down.detail": "请稍后重试。",
      unreadable: "无法读取此二维码",
      wrong: "出现错误",
    },
  };
  const LANGS = Object.keys(TEXTS);
  const LANG_KEY = "trustid.counter.lang";
  let lang = "en";
  let rerender = null; // redraws the verdict on screen in another language (memory only)
  let redrawing = false;
  let countdownTick = null; // rewrites "Clears automatically in N s" now, not in a second

  function t(key, values) {
    const template = (TEXTS[lang] && TEXTS[lang][key]) || TEXTS.en[key] || key;
    return template.replace(/\{(\w+)\}/g, (_, name) =>
      values && values[name] !== undefined ? String(values[name]) : `{${name}}`,
    );
  }

  // The same reading of a language tag as vcore.i18n.locale_from_tag.
  function langOf(tag) {
    const subtags = String(tag || "").toLowerCase().replace(/_/g, "-").split("-").filter(Boolean);
    if (!subtags.length) return null;
    if (subtags[0] === "en") return "en";
    if (subtags[0] !== "zh") return null;
    const rest = subtags.slice(1);
    const traditional = rest.some((s) => ["hant", "tw", "hk", "mo"].includes(s));
    return traditional && !rest.includes("hans") ? null : "zh-Hans";
  }

  function storedLang() {
    try {
      const value = window.localStorage.getItem(LANG_KEY);
      return LANGS.includes(value) ? value : null;
    } catch (_) {
      return null; // storage disabled: follow the browser
    }
  }

  function browserLang() {
    const tags = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
    for (const tag of tags) {
      const found = langOf(tag);
      if (found) return found;
    }
    return "en";
  }

  function translateStatic(root) {
    for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of root.querySelectorAll("[data-i18n-placeholder]")) {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    }
    for (const node of root.querySelectorAll("[data-i18n-alt]")) node.alt = t(node.dataset.i18nAlt);
    for (const node of root.querySelectorAll("[data-i18n-aria-label]")) {
      node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
    }
  }

  function applyLang(next) {
    lang = LANGS.includes(next) ? next : "en";
    document.documentElement.lang = lang;
    translateStatic(document);
    for (const button of document.querySelectorAll("[data-lang]")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
    }
    if (countdownTick) countdownTick();
    if (!rerender) return;
    redrawing = true;
    try {
      rerender();
    } finally {
      redrawing = false;
    }
  }

  function chooseLang(next) {
    try {
      window.localStorage.setItem(LANG_KEY, next);
    } catch (_) {
      // not remembered; still switched
    }
    applyLang(next);
  }

  // ---------------------------------------------------------------- wording helpers

  // A label from the report's credential.display (the type's metadata, per locale):
  // this language, else English, else nothing.
  function localised(labels) {
    if (!labels || typeof labels !== "object") return null;
    for (const key of [lang, "en"]) {
      if (typeof labels[key] === "string" && labels[key].trim()) return labels[key];
    }
    return null;
  }

  function typeLabel(types, display) {
    const named = localised(display && display.name);
    if (named) return named;
    const list = Array.isArray(types) ? types : [types];
    const specific = list.find((x) => typeof x === "string" && x !== "VerifiableCredential");
    if (!specific) return t("credential");
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

  // As vcore.i18n.format_person_name: a name in Han characters is family name first with
  // no space in every language (张伟); otherwise Chinese puts the family name first (Zhang
  // Wei) and English the given name (Wei Zhang).
  const HAN = /^[\p{Script=Han}\u00b7\u30fb]+$/u;

  function formatName(given, family) {
    const g = typeof given === "string" ? given.trim() : "";
    const f = typeof family === "string" ? family.trim() : "";
    if (!g || !f) return g || f || null;
    if (HAN.test(g) && HAN.test(f)) return f + g;
    return lang === "zh-Hans" ? `${f} ${g}` : `${g} ${f}`;
  }

  function holderName(credential) {
    const s = firstSubject(credential);
    if (typeof s.name === "string" && s.name.trim()) return s.name.trim();
    return formatName(s.givenName, s.familyName);
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
    return new Intl.DateTimeFormat(lang, options).format(date);
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

  // data-fact is the same in every language: from the English label (factKey).
  function addFact(list, label, value, factKey) {
    if (value === null || value === undefined || value === "") return;
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = String(value);
    dd.dataset.fact = String(factKey || label).toLowerCase().replace(/[^a-z]+/g, "-");
    list.append(dt, dd);
  }

  function fact(list, key, value) {
    addFact(list, t(key), value, TEXTS.en[key]);
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

  // The claim's label in this language from the type's metadata, else a label made from
  // its name (English words; "Over 18" / "年满18周岁" for an age claim).
  function claimLabel(name, display) {
    const labelled = localised(display && display.claims && display.claims[name]);
    if (labelled) return labelled;
    return fallbackLabel(name, lang);
  }

  function fallbackLabel(name, language) {
    const age = AGE_CLAIM.exec(name);
    if (age) return language === "en" ? `Over ${age[1]}` : t("over", { n: age[1] });
    const words = String(name)
      .replace(/\./g, " ")
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .replace(/_/g, " ")
      .toLowerCase();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function claimValue(value) {
    if (value === true) return t("yes");
    if (value === false) return t("no");
    if (Array.isArray(value)) return value.map(claimValue).join(", ");
    if (value && typeof value === "object") return Object.values(value).map(claimValue).join(", ");
    return String(value);
  }

  function ageAnswer(facts, name, value, display) {
    // The question a counter asks most: one big yes/no, and no other claim needed.
    const answer = document.createElement("p");
    answer.className = `age-answer ${value ? "age-yes" : "age-no"}`;
    answer.dataset.claim = name;
    answer.textContent = t("answer", { label: claimLabel(name, display), value: t(value ? "yes" : "no") });
    facts.before(answer);
  }

  // The disclosed claims, the name first in the order this language expects.
  function claimFacts(facts, claims, display) {
    const entries = Object.entries(claims || {});
    const given = claims && claims.givenName;
    const family = claims && claims.familyName;
    const both = typeof given === "string" && typeof family === "string";
    if (both) fact(facts, "fact.name", formatName(given, family));
    for (const [name, value] of entries) {
      if (both && (name === "givenName" || name === "familyName")) continue;
      if (name === PORTRAIT) continue; // an image, shown only by an identity answer
      if (AGE_CLAIM.test(name) && typeof value === "boolean") ageAnswer(facts, name, value, display);
      else addFact(facts, claimLabel(name, display), claimValue(value), fallbackLabel(name, "en"));
    }
  }

  // A portrait is shown only as an image, and only a JPEG or PNG data URL of at most the
  // issuer's 5487 characters (what the issuer admits): any other value (an https: URL,
  // SVG, markup) is never loaded, so the page fetches nothing a wallet chose.
  const PORTRAIT = "portrait";
  const PORTRAIT_URL = /^data:image\/(jpeg|png);base64,[A-Za-z0-9+/]+={0,2}$/;

  function portraitFigure(facts, value) {
    if (typeof value !== "string" || value.length > 5487 || !PORTRAIT_URL.test(value)) return;
    const figure = document.createElement("figure");
    figure.className = "portrait";
    const img = document.createElement("img");
    img.alt = t("photo.alt");
    img.decoding = "async";
    img.referrerPolicy = "no-referrer";
    img.src = value;
    const caption = document.createElement("figcaption");
    caption.textContent = t("photo.compare");
    figure.append(img, caption);
    facts.before(figure);
  }

  function disclosedFacts(node, facts, credential) {
    const display = credential.display;
    claimFacts(facts, credential.disclosed, display);
    const withheld = Array.isArray(credential.withheld) ? credential.withheld : [];
    for (const name of withheld) {
      if (typeof name === "string") {
        addFact(facts, claimLabel(name, display), t("not_shared"), fallbackLabel(name, "en"));
      }
    }
  }

  function credentialFacts(facts, report) {
    const credential = report.credential;
    if (!credential || typeof credential !== "object") return;
    const selective = credential.disclosed && typeof credential.disclosed === "object";
    if (selective) disclosedFacts(facts.parentNode, facts, credential);
    else fact(facts, "fact.holder", holderName(credential));
    fact(facts, "fact.document", typeLabel(credential.type, credential.display));
    fact(facts, "fact.issued_by", issuerName(report, credential));
    fact(facts, "fact.valid_until", formatDate(credential.validUntil, false) || t("fact.no_end"));
    statusFact(facts, report);
  }

  // The status age; amber once the oldest list used is past its own ttl (the issuer's
  // promise of freshness), so staff see that the verdict rests on an ageing copy.
  function statusFact(facts, report) {
    const asOf = formatDate(report.statusAsOf, true);
    if (!asOf) return;
    const minutes = Math.max(0, Math.round((Date.now() - Date.parse(report.statusAsOf)) / 60000));
    const age = minutes < 1 ? t("status.just_now")
      : minutes < 120 ? t("status.min_ago", { n: minutes })
      : t("status.h_ago", { n: Math.round(minutes / 60) });
    fact(facts, "fact.status_as_of", `${asOf} (${age})`);
    const freshUntil = Date.parse(report.statusFreshUntil);
    if (!Number.isNaN(freshUntil) && Date.now() > freshUntil) {
      const dd = facts.lastElementChild;
      dd.classList.add("status-aged");
      dd.title = t("status.aged");
    }
  }

  function renderVerdict(report) {
    rerender = () => renderVerdict(report);
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
      ? t("verdict.holder_proof")
      : t(valid ? "verdict.valid" : "verdict.invalid");
    let sub;
    if (holderProof) {
      sub = t("sub.holder_proof");
      fact(facts, "fact.signed_by", typeof report.holder === "string" ? report.holder : "");
    } else if (isPresentation) {
      sub = t(valid ? "sub.presentation_ok" : "sub.presentation_bad");
      const inner = report.credentials.filter((r) => r && r.credential);
      if (inner.length) credentialFacts(facts, inner[0]);
      for (const extra of inner.slice(1)) {
        fact(facts, "fact.also", typeLabel(extra.credential.type, extra.credential.display));
      }
    } else {
      sub = t(valid ? "sub.compare" : "sub.reject");
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
        reasons.length ? [...new Set(reasons)] : [t("reason.none")],
      );
    }
    fillList(node.querySelector(".warnings"), ".warnings-list", warningsOf(report));
    show(node);
  }

  // title and detail are text from the verifier, or functions giving the page's own
  // text in the current language (so the switch redraws them too).
  function renderUnread(titleOf, detailOf) {
    rerender = () => renderUnread(titleOf, detailOf);
    const title = typeof titleOf === "function" ? titleOf() : titleOf;
    const detail = typeof detailOf === "function" ? detailOf() : detailOf;
    const node = ui.template.content.firstElementChild.cloneNode(true);
    node.classList.add("verdict-unread");
    node.querySelector(".verdict-word").textContent = t("verdict.unread");
    node.querySelector(".verdict-sub").textContent = title;
    if (detail && detail !== title) {
      fillList(node.querySelector(".reasons"), ".reasons-list", [sentence(detail)]);
      node.querySelector(".reasons h2").dataset.i18n = "details"; // show() translates it
    }
    // A presentation QR needs the challenge it was made for: show where to enter it.
    if (/challenge/i.test(`${title} ${detail}`)) $("options").open = true;
    show(node);
  }

  function show(node) {
    const redraw = redrawing;
    wipe();
    translateStatic(node);
    ui.idle.hidden = true;
    ui.live.append(node);
    ui.next.hidden = false;
    if (redraw) return; // a language switch: same verdict, same countdown, same focus
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
      ui.clearNote.textContent = t("clears", { s: left });
    };
    tick();
    countdownTick = tick;
    ui.clearNote.hidden = false;
    countdownTimer = setInterval(tick, 1000);
    clearTimer = setTimeout(() => clearAll(), CLEAR_AFTER_MS);
  }

  // Removes every trace of the last citizen: verdict DOM, inputs, timers, camera.
  function clearAll() {
    rerender = null;
    countdownTick = null;
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
      return { kind: "problem", status: 0, code: "network", title: () => t("net.title"), detail: () => t("net.detail") };
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
      title = () => t("unauth.title");
      detail = () => t("unauth.detail");
    } else if (status === 413) {
      title = title || (() => t("too_large"));
    } else if (status === 429) {
      title = () => t("busy.title");
      detail = () => t("busy.detail");
    } else if (status >= 500 || status === 0) {
      title = () => t("down.title");
      detail = () => t("down.detail");
    }
    return { kind: "problem", status, code, title: title || (() => t("unreadable")), detail };
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
      if (!(error && error.name === "AbortError")) renderUnread(() => t("wrong"), String(error));
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
    if (name === "NotAllowedError") return t("camera.refused");
    if (name === "NotFoundError" || name === "OverconstrainedError") return t("camera.none");
    if (name === "NotReadableError") return t("camera.in_use");
    return t("camera.failed");
  }

  async function startCamera() {
    if (camera.stream) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      ui.cameraState.textContent = t("camera.no_access");
      return;
    }
    ui.cameraState.textContent = t("camera.starting");
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
    ui.cameraState.textContent = t("camera.looking");
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
      stopCamera(t("camera.timeout"));
      return;
    }
    camera.busy = true;
    try {
      if (camera.detector) {
        const codes = await camera.detector.detect(ui.video);
        if (codes.length && codes[0].rawValue) {
          stopCamera(t("camera.read"));
          await submit({ text: codes[0].rawValue });
        }
        return;
      }
      const blob = await grabFrame();
      if (!blob || !camera.stream) return;
      const outcome = await post(formWith({ file: new File([blob], "frame.jpg", { type: "image/jpeg" }) }));
      if (!camera.stream) return; // stopped while the frame was in flight
      if (outcome.kind === "problem" && outcome.code === "no_qr_found") return; // keep looking
      stopCamera(t("camera.read"));
      if (outcome.kind === "verdict") renderVerdict(outcome.report);
      else renderUnread(outcome.title, outcome.detail);
    } catch (error) {
      stopCamera(t("camera.stopped", { error: String(error) }));
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
      renderUnread(() => t("net.title"), () => t("net.detail"));
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
    ui.askState.textContent = t("ask.waiting");
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
    ui.askState.textContent = t("ask.waiting_left", { s: left });
    ask.timer = setTimeout(pollAsk, POLL_MS);
  }

  function answerReasons(state) {
    const result = state.result || {};
    if (state.state === "expired") return [t("reason.expired")];
    const problems = Array.isArray(result.problemDetails) ? result.problemDetails : [];
    const reasons = problems.map((p) => sentence(messageOf(p))).filter(Boolean);
    return reasons.length ? [...new Set(reasons)] : [t("reason.none")];
  }

  // Only the requested claims (result.claims): nothing the wallet may have added, no
  // document details. "Over 18" is one big yes/no.
  // The labels of each query's credential (its type metadata, as the report carries it).
  function answerDisplays(result) {
    const out = {};
    for (const [query, items] of Object.entries(result.presentations || {})) {
      const first = Array.isArray(items) ? items[0] : null;
      const inner = first && Array.isArray(first.credentials) ? first.credentials[0] : null;
      if (inner && inner.credential && inner.credential.display) out[query] = inner.credential.display;
    }
    return out;
  }

  function renderAnswer(state, preset) {
    rerender = () => renderAnswer(state, preset);
    const node = ui.template.content.firstElementChild.cloneNode(true);
    const facts = node.querySelector(".facts");
    const result = state.result || {};
    const valid = state.state === "verified" && result.verified === true;
    node.classList.add(valid ? "verdict-valid" : "verdict-invalid");
    node.querySelector(".verdict-word").textContent = t(valid ? "verdict.valid" : "verdict.invalid");
    let sub = t(valid ? "sub.answered" : "sub.do_not_accept");
    if (valid && preset === "identity") sub = t("sub.identity");
    node.querySelector(".verdict-sub").textContent = sub;
    if (valid) {
      const displays = answerDisplays(result);
      for (const [query, answers] of Object.entries(result.claims || {})) {
        for (const claims of Array.isArray(answers) ? answers : []) {
          if (preset === "identity" && claims) portraitFigure(facts, claims[PORTRAIT]);
          claimFacts(facts, claims, displays[query]);
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
      renderUnread(() => t("net.title"), () => t("net.detail"));
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
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => chooseLang(button.dataset.lang));
  }

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

  applyLang(storedLang() || browserLang());
  ui.text.focus();
})();
