// The chat page's own script, loaded before Gradio's (see assistant/page_shell.py).
// 1. Gradio picks the language of its texts from the browser: the page is German in every locale.
// 2. Gradio writes a few texts in English whatever the locale: they are translated in place.
// 3. Messages and feedback buttons get short German names; the chat's own buttons are wired.
(() => {
  "use strict";
  for (const [name, value] of [["language", "de-DE"], ["languages", ["de-DE", "de"]]]) {
    Object.defineProperty(Navigator.prototype, name, { get: () => value, configurable: true });
  }

  const TEXTS = new Map([
    ["Connection to the server was lost. Attempting reconnection...",
      "Die Verbindung zum Server ist unterbrochen. Sie wird wiederhergestellt …"],
    ["Connection Lost", "Verbindung unterbrochen"],
    ["Liked", "Gefällt mir (gewählt)"],
    ["Disliked", "Gefällt mir nicht (gewählt)"],
    ["Like", "Gefällt mir"],
    ["Dislike", "Gefällt mir nicht"],
    ["Scroll down", "Nach unten scrollen"],
    ["Clear", "Gespräch löschen"],
    ["Löschen", "Gespräch löschen"],
    ["Close", "Schließen"],
    ["Copy", "Kopieren"],
    ["Copied", "Kopiert"],
    ["Error", "Fehler"],
    ["Warning", "Warnung"],
    ["Warning.", "Warnung."],
    ["An error occurred.", "Ein Fehler ist aufgetreten."],
    ["Info.", "Hinweis."],
    ["Success.", "Erledigt."],
    ["Loading...", "Wird geladen …"],
    ["Loading response", "Antwort wird geladen"],
    ["processing", "wird bearbeitet"],
    ["chatbot conversation", "Gesprächsverlauf"],
    ["Gradio footer navigation", "Fußzeile"],
    ["Use via API", "Über die Programmierschnittstelle nutzen"],
    ["Stop Recording", "Aufnahme beenden"],
    ["This may take a few seconds...", "Das kann einige Sekunden dauern …"],
  ]);
  const QUEUE = /^queue: (\d+)\/(\d+)/;
  const ATTRIBUTES = ["aria-label", "title", "placeholder", "alt"];

  const german = text => {
    const trimmed = text.trim();
    if (TEXTS.has(trimmed)) return text.replace(trimmed, TEXTS.get(trimmed));
    const queued = trimmed.match(QUEUE);
    if (queued) return `Warteschlange: Platz ${queued[1]} von ${queued[2]}`;
    if (/^processing \|/.test(trimmed)) return "wird bearbeitet …";
    return null;
  };

  const shorten = text => (text.length > 70 ? `${text.slice(0, 67).trim()} …` : text);

  // Gradio names each message "user's message: <the HTML>": a screen reader would read markup.
  const nameMessages = root => {
    for (const message of root.querySelectorAll('[data-testid="user"], [data-testid="bot"]')) {
      const name = message.dataset.testid === "user" ? "Frage" : "Antwort des Assistenten";
      if (message.getAttribute("aria-label") !== name) message.setAttribute("aria-label", name);
      if (message.getAttribute("role") !== "article") message.setAttribute("role", "article");
    }
    // The feedback buttons say which answer they rate: the one to the question before them.
    let question = "";
    for (const row of root.querySelectorAll(".message-row, .message-buttons")) {
      const asked = row.querySelector('[data-testid="user"]');
      if (asked) question = shorten(asked.innerText.trim());
      for (const button of row.querySelectorAll("button[aria-label]")) {
        const base = button.getAttribute("aria-label").split(":")[0];
        if (!["Gefällt mir", "Gefällt mir nicht", "Gefällt mir (gewählt)",
              "Gefällt mir nicht (gewählt)"].includes(base)) continue;
        const name = `${base}: Antwort auf „${question}“`;
        if (button.getAttribute("aria-label") !== name) {
          button.setAttribute("aria-label", name);
          button.setAttribute("title", base);
        }
      }
    }
  };

  const translate = node => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = german(node.nodeValue);
      if (text !== null && text !== node.nodeValue) node.nodeValue = text;
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    for (const element of [node, ...node.querySelectorAll("*")]) {
      for (const attribute of ATTRIBUTES) {
        const value = element.getAttribute(attribute);
        const text = value && german(value);
        if (text && text !== value) element.setAttribute(attribute, text);
      }
    }
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) translate(text);
  };

  const observer = new MutationObserver(mutations => {
    for (const mutation of mutations) {
      if (mutation.type === "childList") mutation.addedNodes.forEach(translate);
      else translate(mutation.target);
    }
    nameMessages(document);
  });

  const copyText = async text => {
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
  };

  const announce = message => {
    const status = document.getElementById("kopiert-status");
    if (status) status.textContent = message;
  };

  // What "Antwort kopieren" copies: the answer, then its sources, as plain text.
  const answerText = answer => {
    const clone = answer.cloneNode(true);
    clone.querySelectorAll("button, .sr-only").forEach(element => element.remove());
    clone.querySelectorAll(".quelle-link a").forEach(link => {
      link.replaceWith(`${link.textContent}: ${new URL(link.getAttribute("href"), document.baseURI)}`);
    });
    return clone.innerText.replace(/\n{3,}/g, "\n\n").trim();
  };

  const ask = question => {
    const box = document.querySelector("#frage textarea");
    const send = document.getElementById("senden");
    if (!box || !send) return;
    box.value = question;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    setTimeout(() => send.click(), 50);
  };

  document.addEventListener("click", event => {
    const target = event.target instanceof Element ? event.target : null;
    const copy = target && target.closest(".kopieren");
    if (copy) {
      copyText(answerText(copy.closest(".antwort"))).then(() =>
        announce("Die Antwort mit ihren Quellen ist in der Zwischenablage."));
      return;
    }
    const topic = target && target.closest(".thema");
    if (topic) {
      ask(topic.value || topic.textContent.trim());
      return;
    }
    const skip = target && target.closest(".sprunglink");
    if (skip) {
      event.preventDefault();
      const box = document.querySelector("#frage textarea");
      if (box) box.focus();
    }
  });

  window.strategieAssistent = {
    // Save the conversation (Markdown made on the server) as a file, without leaving the page.
    download(text) {
      if (!text) return;
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([text], { type: "text/markdown;charset=utf-8" }));
      link.download = "gespraech-strategie-assistent.md";
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    },
  };

  const start = () => {
    translate(document.body);
    nameMessages(document);
    observer.observe(document.body, {
      subtree: true, childList: true, characterData: true, attributes: true,
      attributeFilter: ATTRIBUTES,
    });
  };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
