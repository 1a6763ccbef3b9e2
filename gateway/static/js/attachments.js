// Photos of a ticket: send them (the maintenance service decodes each, refuses what is no
// photo and removes its EXIF) and show a ticket's thumbnails. The files need the token, so
// they come through api.js as blobs and are shown from blob: URLs: an <img src> pointing at
// the API would send no Authorization header.
import {api, el, errorText, fill} from './api.js';

const objectUrls = new WeakMap();   // container -> the blob: URLs it shows, freed on the next render

/** Attach one photo (a File) to a ticket; resolves with the stored attachment. */
export function upload(ticketId, file) {
  const form = new FormData();
  form.append('file', file, file.name);
  return api(`/api/maintenance/tickets/${encodeURIComponent(ticketId)}/attachments`, {method: 'POST', body: form});
}

/**
 * Attach several photos, one request each, in order. The service decides what it takes
 * (type, size, how many per ticket); each file gets its own answer.
 * Resolves with {attached: [attachment], failures: ["name: why"]}.
 */
export async function uploadAll(ticketId, files) {
  const attached = [];
  const failures = [];
  for (const file of Array.from(files || [])) {
    try {
      attached.push(await upload(ticketId, file));
    } catch (error) {
      failures.push(`${file.name}: ${errorText(error)}`);
    }
  }
  return {attached, failures};
}

function show(container, blob) {
  const blobUrl = URL.createObjectURL(blob);
  objectUrls.get(container).push(blobUrl);
  return blobUrl;
}

/**
 * Show the thumbnails of `attachments` ([{id, url, thumbnail_url}], as GET /tickets/{id}
 * lists them) in `container`; pressing one shows the photo itself at full width.
 */
export function renderAttachments(container, attachments) {
  for (const url of objectUrls.get(container) || []) URL.revokeObjectURL(url);
  objectUrls.set(container, []);
  const photos = Array.isArray(attachments) ? attachments : [];
  container.hidden = photos.length === 0;
  const items = photos.map((photo, index) => {
    const label = `Photo ${index + 1} of ${photos.length}`;
    const image = el('img', {class: 'attachment-image', alt: label});
    const button = el('button', {type: 'button', class: 'attachment', 'aria-pressed': 'false',
      title: 'Show the full photo', dataset: {attachmentId: photo.id}}, image);
    api(photo.thumbnail_url, {as: 'blob'})
      .then((blob) => { image.src = show(container, blob); })
      .catch(() => { image.alt = `${label} (cannot be shown)`; });
    button.addEventListener('click', async () => {
      const large = button.getAttribute('aria-pressed') !== 'true';
      if (large && !button.dataset.full) {
        try {
          button.dataset.full = show(container, await api(photo.url, {as: 'blob'}));
        } catch (error) {
          image.alt = `${label}: ${errorText(error)}`;
          return;
        }
      }
      if (large) button.dataset.thumb = image.src;
      image.src = large ? button.dataset.full : button.dataset.thumb;
      button.setAttribute('aria-pressed', String(large));
      button.classList.toggle('attachment-large', large);
    });
    return el('li', {}, button);
  });
  fill(container, photos.length ? el('ul', {class: 'attachment-list', 'aria-label': 'Photos'}, items) : null);
}
