/** Language names from ISO codes ("ja" -> "Japanese"), in the viewer's language when the browser knows it. */
export function languageName(code: string, locale?: string): string {
  try {
    const names = new Intl.DisplayNames(locale ? [locale] : undefined, { type: "language" });
    const name = names.of(code);
    if (name && name !== code) return name.charAt(0).toUpperCase() + name.slice(1);
  } catch {
    /* unknown code or no Intl.DisplayNames */
  }
  return code;
}

export function languageList(codes: string[], locale?: string): string {
  return codes.map((c) => languageName(c, locale)).join(", ");
}
