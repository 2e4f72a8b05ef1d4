// Both languages say everything, and the page asks for nothing they lack.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";
import { STRINGS, chooseLanguage, plural, setLanguage, t } from "../../../../app/server/web/static/i18n.js";

const STATIC = new URL("../../../../app/server/web/static/", import.meta.url);

test("English and Bahasa Indonesia have the same keys and the same {slots}", () => {
  assert.deepEqual(Object.keys(STRINGS.id).sort(), Object.keys(STRINGS.en).sort());
  const slots = (s) => (s.match(/\{\w+\}/g) ?? []).sort();
  for (const key of Object.keys(STRINGS.en)) {
    assert.deepEqual(slots(STRINGS.id[key]), slots(STRINGS.en[key]), key);
  }
});

test("every key the page and its scripts use exists", () => {
  const used = new Set();
  for (const name of readdirSync(STATIC)) {
    const text = readFileSync(new URL(name, STATIC), "utf8");
    for (const m of text.matchAll(/data-i18n(?:-label)?="(\w+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/\bt\("(\w+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/plural\("(\w+)"/g)) used.add(`${m[1]}_one`).add(`${m[1]}_many`);
  }
  const missing = [...used].filter((key) => !(key in STRINGS.en));
  assert.deepEqual(missing, []);
  assert.ok(used.size > 30);
});

test("no script of the page parses markup", () => {
  for (const name of readdirSync(STATIC).filter((n) => n.endsWith(".js"))) {
    const text = readFileSync(new URL(name, STATIC), "utf8");
    assert.doesNotMatch(text, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/, name);
  }
});

test("the language: stored choice, else the browser's, else English", () => {
  assert.equal(chooseLanguage("id", ["en-US"]), "id");
  assert.equal(chooseLanguage(null, ["id-ID", "en"]), "id");
  assert.equal(chooseLanguage(null, ["in"]), "id");
  assert.equal(chooseLanguage("xx", ["fr-FR", "en-GB"]), "en");
  assert.equal(chooseLanguage(null, []), "en");
});

test("slots and plurals", () => {
  setLanguage("id");
  assert.equal(t("signed_in_as", { name: "<b>" }), "Masuk sebagai <b>");
  assert.equal(plural("listeners", 1), "1 mendengarkan");
  setLanguage("en");
  assert.equal(plural("listeners", 1500), "1500 listening");
  assert.equal(t("no_such_key"), "no_such_key");
});
