import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem, deleteAttachment, getAttachment, listAttachments, registerAttachment, uploadFile, type AttachmentSummary } from '../lib/api';
import { bytes, label } from '../lib/format';
import { fieldMessage } from '../lib/messages';
import { ProblemBanner } from '../ui';

/** Types the API accepts, by extension, for files the browser gives no type. */
const BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  txt: 'text/plain',
  csv: 'text/csv',
  md: 'text/markdown',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
};

async function sha256Hex(file: File): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

interface Uploading {
  name: string;
  fraction: number;
}

export function Attachments({ opportunityId, readOnly, onChanged }: { opportunityId: string; readOnly: boolean; onChanged: () => void }) {
  const [items, setItems] = useState<AttachmentSummary[]>([]);
  const [uploading, setUploading] = useState<Uploading | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const polling = useRef<number | undefined>(undefined);

  const list = () =>
    listAttachments(opportunityId).then((now) => {
      setItems(now);
      return now;
    });

  /** Live status: polls while anything is pending (every second, at most two minutes). */
  const watch = (rounds = 120) => {
    window.clearTimeout(polling.current);
    polling.current = window.setTimeout(async () => {
      try {
        const now = await list();
        if (now.some((a) => a.status === 'pending') && rounds > 1) watch(rounds - 1);
        else {
          setNotice('Every upload is checked.');
          onChanged();
        }
      } catch (e) {
        setProblem(e);
      }
    }, 1000);
  };

  useEffect(() => {
    list().then((now) => now.some((a) => a.status === 'pending') && watch(), setProblem);
    return () => window.clearTimeout(polling.current);
  }, [opportunityId]);

  const send = async (event: Event) => {
    event.preventDefault();
    const file = input.current?.files?.[0];
    if (!file) {
      setProblem(new ApiProblem(422, 'validation_failed', 'No file was chosen.', null, [{ field: 'file', message: 'is required' }]));
      return;
    }
    setProblem(null);
    setNotice('');
    setUploading({ name: file.name, fraction: 0 });
    try {
      const extension = file.name.split('.').pop()?.toLowerCase() ?? '';
      const contentType = file.type || BY_EXTENSION[extension] || 'application/octet-stream';
      const data = await registerAttachment(
        opportunityId,
        { file_name: file.name, content_type: contentType, size_bytes: file.size, sha256: await sha256Hex(file) },
        crypto.randomUUID(),
      );
      await list();
      await uploadFile(data, file, (fraction) => setUploading({ name: file.name, fraction }));
      setNotice(`${file.name} uploaded; checking it…`);
      if (input.current) input.current.value = '';
      watch();
    } catch (e) {
      setProblem(e);
      void list();
    } finally {
      setUploading(null);
    }
  };

  const download = async (a: AttachmentSummary) => {
    try {
      const data = await getAttachment(a.id);
      if (data.download) {
        const link = document.createElement('a');
        link.href = data.download.url;
        link.download = a.file_name;
        link.rel = 'noopener';
        document.body.appendChild(link);
        link.click();
        link.remove();
      }
    } catch (e) {
      setProblem(e);
    }
  };

  const remove = async (a: AttachmentSummary) => {
    if (!window.confirm(`Delete ${a.file_name}?`)) return;
    try {
      await deleteAttachment(a.id);
      setNotice(`${a.file_name} deleted.`);
      await list();
      onChanged();
    } catch (e) {
      setProblem(e);
    }
  };

  const fileErrors = problem instanceof ApiProblem ? problem.errors.map((e) => fieldMessage(e.field, e.message)) : [];
  return (
    <section aria-labelledby="att-h">
      <h2 id="att-h">Attachments</h2>
      {items.length === 0 ? (
        <p class="empty">No attachments.</p>
      ) : (
        <table class="list cards" data-testid="attachments">
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col" class="num">Size</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr key={a.id}>
                <td data-label="File" class="break">{a.file_name}</td>
                <td data-label="Size" class="num">{bytes(a.size_bytes)}</td>
                <td data-label="Status">
                  <span class={`badge att-${a.status}`} data-testid={`att-status-${a.file_name}`}>
                    {label(a.status)}
                  </span>
                </td>
                <td class="row-actions">
                  {a.status === 'available' && (
                    <button type="button" onClick={() => void download(a)}>
                      Download <span class="sr-only">{a.file_name}</span>
                    </button>
                  )}
                  {!readOnly && (
                    <button type="button" class="danger" onClick={() => void remove(a)}>
                      Delete <span class="sr-only">{a.file_name}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!readOnly && (
        <form onSubmit={send} class="upload">
          <div class={fileErrors.length ? 'field invalid' : 'field'}>
            <label for="attachment-file">Add a file</label>
            <p class="hint" id="attachment-file-hint">PDF, Word, Excel, PowerPoint, OpenDocument, text, CSV, Markdown, PNG or JPEG; up to 100 MiB.</p>
            <input id="attachment-file" type="file" ref={input} aria-describedby={fileErrors.length ? 'attachment-file-hint attachment-file-error' : 'attachment-file-hint'} />
            {fileErrors.map((m) => (
              <p class="field-error" id="attachment-file-error" key={m}>
                {m}
              </p>
            ))}
          </div>
          <button type="submit" disabled={!!uploading}>
            Upload
          </button>
        </form>
      )}
      {uploading && (
        <div class="progress">
          <label for="upload-progress">Uploading {uploading.name}</label>
          <progress id="upload-progress" max={1} value={uploading.fraction}>
            {Math.round(uploading.fraction * 100)}%
          </progress>
          <span>{Math.round(uploading.fraction * 100)}%</span>
        </div>
      )}
      <p role="status" class="notice">
        {notice}
      </p>
      <ProblemBanner problem={problem} fieldsShown />
    </section>
  );
}
