import { useEffect, useId, useRef, useState, type ReactNode } from "react";

import { MoreIcon } from "./icons";
import styles from "./Menu.module.css";

export interface MenuItem {
  label: string;
  onSelect: () => void;
  danger?: boolean;
}

/**
 * A "⋯" button that opens a small menu (ARIA menu button pattern): arrow keys move, Escape
 * closes and returns focus, a click outside closes. `open`/`onOpenChange` let a parent open it
 * too (a long press on a chat message).
 */
export function Menu({
  label,
  items,
  open: controlled,
  onOpenChange,
  className = "",
  buttonClassName = "",
  align = "end",
  icon,
}: {
  label: string;
  items: MenuItem[];
  open?: boolean;
  onOpenChange?: (open: boolean) => void;
  className?: string;
  /** Extra class for the ⋯ button (a caller styling when it shows). */
  buttonClassName?: string;
  align?: "start" | "end";
  icon?: ReactNode;
}) {
  const [own, setOwn] = useState(false);
  const open = controlled ?? own;
  const setOpen = (next: boolean) => {
    setOwn(next);
    onOpenChange?.(next);
  };
  const id = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);

  useEffect(() => {
    if (!open) return;
    list.current?.querySelector<HTMLButtonElement>("button")?.focus();
    const onDown = (e: PointerEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", onDown);
    return () => document.removeEventListener("pointerdown", onDown);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  function onKeyDown(e: React.KeyboardEvent) {
    const buttons = Array.from(list.current?.querySelectorAll<HTMLButtonElement>("button") ?? []);
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === "Escape") {
      e.stopPropagation();
      setOpen(false);
      button.current?.focus();
    } else if (e.key === "ArrowDown") {
      e.preventDefault();
      buttons[(at + 1) % buttons.length]?.focus();
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      buttons[(at - 1 + buttons.length) % buttons.length]?.focus();
    } else if (e.key === "Tab") {
      setOpen(false);
    }
  }

  if (items.length === 0) return null;
  return (
    <div className={`${styles.menu} ${className}`} ref={root} onKeyDown={onKeyDown}>
      <button
        ref={button}
        type="button"
        className={`btn btn-icon ${buttonClassName}`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => setOpen(!open)}
      >
        {icon ?? <MoreIcon />}
        <span className="visually-hidden">{label}</span>
      </button>
      {open && (
        <ul className={`${styles.menuList} ${align === "end" ? styles.menuEnd : styles.menuStart}`} role="menu" id={id} aria-label={label} ref={list}>
          {items.map((item) => (
            <li role="none" key={item.label}>
              <button
                type="button"
                role="menuitem"
                className={item.danger ? styles.danger : undefined}
                onClick={() => {
                  setOpen(false);
                  item.onSelect();
                }}
              >
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
