import { reactive } from 'vue';

export const toasts = reactive([]);
let nextId = 1;

/** kind: 'ok' | 'error' | 'info' */
export function notify(kind, title, detail = '', ms = 5000) {
  const id = nextId++;
  toasts.push({ id, kind, title, detail });
  if (toasts.length > 3) toasts.splice(0, toasts.length - 3);
  setTimeout(() => dismiss(id), ms);
}

export function dismiss(id) {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}
