// The playground: standard introspection to list the schema, then queries with the user's own credentials.
// No framework, no CDN: this file, playground.html and playground.css are the whole page.
"use strict";

const $ = id => document.getElementById(id);

// Type references nine levels deep, as graphql-js 17's getIntrospectionQuery({ typeDepth: 9 }) asks.
const typeRef = depth => depth === 0 ? "kind name" : `kind name ofType { ${typeRef(depth - 1)} }`;
const introspection = `query IntrospectionQuery { __schema {
  queryType { name } mutationType { name }
  types { kind name description
    fields(includeDeprecated: true) { name description args { name description type { ${typeRef(9)} } } type { ${typeRef(9)} } }
    inputFields { name description type { ${typeRef(9)} } }
    enumValues(includeDeprecated: true) { name description } } } }`;

function authorization() {
  const mode = document.querySelector("input[name=mode]:checked").value;
  if (mode === "basic") {
    const raw = new TextEncoder().encode(`${$("client-id").value}:${$("secret").value}`);
    return "Basic " + btoa(String.fromCharCode(...raw));
  }
  return "Bearer " + $("token").value.trim();
}

async function post(query, variables) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept": "application/graphql-response+json, application/json", "Authorization": authorization() },
    body: JSON.stringify({ query, variables }),
    credentials: "omit",
  });
  const text = await response.text();
  let body;
  try { body = JSON.parse(text); } catch { body = { errors: [{ message: text || response.statusText }] }; }
  return { status: response.status, body };
}

function unwrap(type) {
  if (!type) return "";
  if (type.kind === "NON_NULL") return unwrap(type.ofType) + "!";
  if (type.kind === "LIST") return "[" + unwrap(type.ofType) + "]";
  return type.name;
}

function showSchema(schema) {
  const roots = [schema.queryType && schema.queryType.name, schema.mutationType && schema.mutationType.name].filter(Boolean);
  const byName = new Map(schema.types.map(t => [t.name, t]));
  const container = $("types");
  container.replaceChildren();
  for (const name of roots) {
    const type = byName.get(name);
    const heading = document.createElement("h3");
    heading.textContent = name;
    const list = document.createElement("ul");
    for (const field of type.fields || []) {
      const item = document.createElement("li");
      const code = document.createElement("code");
      code.textContent = `${field.name}: ${unwrap(field.type)}`;
      code.dataset.field = field.name;
      code.title = "insert into the query";
      code.addEventListener("click", () => insert(field.name));
      const desc = document.createElement("span");
      desc.className = "desc";
      desc.textContent = field.description || "";
      item.append(code, desc);
      list.append(item);
    }
    container.append(heading, list);
  }
  $("schema-status").textContent = `${schema.types.filter(t => !t.name.startsWith("__")).length} types loaded.`;
}

function insert(text) {
  const area = $("query");
  const at = area.selectionStart ?? area.value.length;
  area.value = area.value.slice(0, at) + text + area.value.slice(area.selectionEnd ?? at);
  area.focus();
}

async function loadSchema() {
  $("schema-status").textContent = "Loading…";
  const { status, body } = await post(introspection, {});
  if (status !== 200 || !body.data) {
    $("schema-status").textContent = `Could not load the schema (${status}): ${(body.errors || []).map(e => e.message).join("; ")}`;
    return;
  }
  showSchema(body.data.__schema);
}

async function run() {
  let variables;
  try { variables = JSON.parse($("variables").value || "{}"); } catch { $("status").textContent = "Variables are not JSON."; return; }
  $("status").textContent = "Running…";
  const started = performance.now();
  const { status, body } = await post($("query").value, variables);
  $("status").textContent = `${status} in ${Math.round(performance.now() - started)} ms`;
  $("result").textContent = JSON.stringify(body, null, 2);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", () => {
      const basic = radio.value === "basic" && radio.checked;
      $("token").hidden = basic;
      $("client-id").hidden = !basic;
      $("secret").hidden = !basic;
    });
  }
  $("load-schema").addEventListener("click", loadSchema);
  $("run").addEventListener("click", run);
  $("query").addEventListener("keydown", e => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); } });
});
