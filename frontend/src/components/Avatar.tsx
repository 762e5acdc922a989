import { useState } from "react";

/** A person's photo, or their initials when there is none (or it fails to load). */
export function Avatar({ name, url, size = 48 }: { name: string; url?: string | null; size?: number }) {
  const [failed, setFailed] = useState(false);
  const initials = name
    .split(/\s+/)
    .map((p) => p[0])
    .join("")
    .slice(0, 2)
    .toUpperCase();
  if (url && !failed) {
    return <img className="avatar" src={url} alt="" width={size} height={size} onError={() => setFailed(true)} />;
  }
  return (
    <span className="avatar avatar-initials" style={{ width: size, height: size, fontSize: Math.round(size * 0.38) }} aria-hidden="true">
      {initials}
    </span>
  );
}
