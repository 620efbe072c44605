// dom.js: building elements, shared by the pages drawn in JavaScript.

// h makes element name with attrs (class, text, or any attribute) and the
// given children; null and undefined children are left out.
export function h(name, attrs, ...kids) {
  const e = document.createElement(name);
  for (const k in attrs || {}) {
    if (k === 'class') e.className = attrs[k];
    else if (k === 'text') e.textContent = attrs[k];
    else e.setAttribute(k, attrs[k]);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}
