/*! icon-kit v1.4.0 | MIT: builds SVG icons in code; its option names
 * (onLoad, onEnd) are JavaScript properties, not SVG attributes. */
export function icon(name, opts) {
  const markup = '<svg class="icon icon-' + name + '" viewBox="0 0 24 24"><use href="#' + name + '"/></svg>';
  const holder = document.createElement("span");
  holder.innerHTML = markup;
  const { onLoad = () => {}, onEnd = () => {} } = opts || {};
  requestAnimationFrame(() => { onLoad(holder.firstChild); onEnd(); });
  return holder.firstChild;
}
