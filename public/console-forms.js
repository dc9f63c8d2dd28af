// nbwss console: the add form (Validate shows the certificate to accept, then Add) and the Edit dialog.
// Plain browser JavaScript; every value from the API is set as text. `ctx` is what console.js shares with them:
// $ (querySelector), api(method, path, body), say(text, kind), change(...) (a change and its realization),
// refresh(), rows (hostName → row), pending (requestId → change).

/** Wire the add form and the edit dialog; returns openEdit(hostName) for the rows' Edit buttons. */
export function setupForms({ $, api, say, change, refresh, rows, pending }) {
  let validated; // { text, fingerprint, hostName }

  // --- add form ---------------------------------------------------------------------------------------------------

  function resetAdd() {
    validated = undefined;
    $('#certificate').hidden = true;
    $('#accept-fingerprint').checked = false;
    $('#add-button').disabled = true;
  }

  $('#add-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    resetAdd();
    const file = $('#details-file').files[0];
    if (!file) {
      say('Choose the endpoint JSON file first.', 'error');
      $('#details-file').focus();
      return;
    }
    say(`Validating ${file.name}: fetching the server's certificate…`);
    try {
      const text = await file.text();
      const { json } = await api('POST', '/api/endpoints/validate', { details: text });
      const c = json.certificate;
      validated = { text, fingerprint: c.fingerprint256, hostName: json.details.hostName };
      $('#cert-host').textContent = json.details.hostName;
      $('#cert-url').textContent = json.details.url;
      $('#cert-group').textContent = `${json.details.groupId} / ${json.details.priority}`;
      $('#cert-subject').textContent = c.subject;
      $('#cert-issuer').textContent = `${c.issuer}${c.selfSigned ? ' (self-signed)' : ''}`;
      $('#cert-validity').textContent = `${new Date(c.validFrom).toLocaleString()} – ${new Date(c.validTo).toLocaleString()}`;
      $('#cert-fingerprint').textContent = c.fingerprint256;
      $('#certificate').hidden = false;
      $('#certificate-title').focus();
      say(`Certificate of ${json.details.hostName} fetched: compare its fingerprint, then accept it to add the server.`);
    } catch (err) {
      say(`Validate failed: ${err.message}`, 'error');
    }
  });

  $('#accept-fingerprint').addEventListener('change', (event) => {
    $('#add-button').disabled = !event.target.checked || !validated;
  });

  $('#cancel-button').addEventListener('click', () => {
    resetAdd();
    say('Add cancelled: nothing was stored.');
    $('#details-file').focus();
  });

  $('#add-button').addEventListener('click', async () => {
    if (!validated) return;
    const { text, fingerprint, hostName } = validated;
    try {
      const { requestId } = await api('POST', '/api/endpoints', { details: text, fingerprint });
      pending.set(requestId, { label: `Add ${hostName}`, hostName });
      resetAdd();
      $('#add-form').reset();
      say(`${hostName} added: it connects at the next run of the connection task…`, 'ok');
      await refresh();
    } catch (err) {
      say(`Add failed: ${err.message}`, 'error');
    }
  });

  // --- edit dialog ------------------------------------------------------------------------------------------------

  let editing; // the endpoint being edited, as listed

  function openEdit(hostName) {
    const row = rows.get(hostName);
    if (!row || !row.data) return;
    editing = row.data;
    $('#edit-host').textContent = hostName;
    $('#edit-priority').value = String(editing.priority);
    $('#edit-url').value = editing.url;
    $('#edit-token').value = '';
    $('#edit-fingerprint').value = '';
    $('#edit-trust-keep').checked = true;
    $('#edit-dialog').showModal();
    $('#edit-priority').focus();
  }

  function closeEdit() {
    $('#edit-dialog').close();
    const row = editing && rows.get(editing.hostName);
    editing = undefined;
    if (row) row.edit.focus();
  }

  $('#edit-cancel').addEventListener('click', closeEdit);

  $('#edit-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!editing) return;
    const body = {};
    const priority = Number($('#edit-priority').value);
    if ($('#edit-priority').value.trim() === '' || !Number.isFinite(priority)) {
      say('Priority must be a number.', 'error');
      $('#edit-priority').focus();
      return;
    }
    if (priority !== editing.priority) body.priority = priority;
    const url = $('#edit-url').value.trim();
    if (url !== editing.url) body.url = url;
    const token = $('#edit-token').value;
    if (token !== '') body.token = token;
    if ($('#edit-trust-repin').checked) {
      const fingerprint = $('#edit-fingerprint').value.trim();
      if (fingerprint) body.fingerprint = fingerprint;
      else body.acceptCertificate = true;
    }
    const hostName = editing.hostName;
    if (Object.keys(body).length === 0) {
      say(`Edit ${hostName}: nothing changed.`);
      closeEdit();
      return;
    }
    closeEdit();
    await change(hostName, 'edit', 'PATCH', `/api/endpoints/${encodeURIComponent(hostName)}`, body, (json) => json.appliesWhen);
  });

  return { openEdit };
}
