/**
 * Turn an executor setting into argv, without a shell.
 *
 * Two forms:
 * - a JSON array of strings: `["/usr/bin/env", "my-agent", "--flag"]`
 * - words separated by whitespace; '…' quotes literally, "…" quotes with `\"` and `\\`
 *   escapes, a backslash outside quotes escapes the next character.
 *   No expansion of variables, globs or `~`.
 */
export function splitCommand(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('executor command is empty');
  return trimmed.startsWith('[') ? parseJsonArgv(trimmed) : splitWords(trimmed);
}

function parseJsonArgv(text: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`executor looks like a JSON array but does not parse: ${(error as Error).message}`);
  }
  if (!Array.isArray(value) || value.length === 0) throw new Error('executor JSON must be a non-empty array of strings');
  return value.map((item, index) => {
    if (typeof item !== 'string' || item === '') throw new Error(`executor JSON item ${index} must be a non-empty string`);
    return item;
  });
}

function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text.charAt(++i);
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      word += text.charAt(++i);
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`executor command has an unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}
