/** Markdown to safe HTML for the preview: marked renders, DOMPurify removes anything active
 * (scripts, event handlers, javascript: links), so a problem statement can never run code. */
import DOMPurify from 'dompurify';
import { marked } from 'marked';

export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false, gfm: true, breaks: false }) as string;
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
}
