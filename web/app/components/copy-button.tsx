import { useEffect, useRef, useState } from "react";

type State = "idle" | "copied" | "selected";

/**
 * Copies `text` to the clipboard. Progressive enhancement: nothing is rendered until the page is
 * hydrated (without JavaScript the text stays selectable in its <pre>). Where the Clipboard API is
 * unavailable (plain http on a non-local host), the button selects the code element `targetId`
 * instead, ready for Ctrl+C.
 */
export function CopyButton({ text, targetId, label }: { text: string; targetId: string; label: string }) {
  const [hydrated, setHydrated] = useState(false);
  const [state, setState] = useState<State>("idle");
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    setHydrated(true);
    return () => clearTimeout(timer.current);
  }, []);
  if (!hydrated) return null;

  const show = (next: State) => {
    setState(next);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setState("idle"), 2000);
  };
  const select = () => {
    const target = document.getElementById(targetId);
    const selection = window.getSelection();
    if (!target || !selection) return;
    const range = document.createRange();
    range.selectNodeContents(target);
    selection.removeAllRanges();
    selection.addRange(range);
    show("selected");
  };
  const copy = () => {
    if (!navigator.clipboard) return select();
    navigator.clipboard.writeText(text).then(() => show("copied"), select);
  };
  return (
    <button type="button" className="button copy-button" onClick={copy} aria-label={`Copy ${label}`}>
      <span aria-live="polite">
        {state === "copied" ? "Copied" : state === "selected" ? "Selected: press Ctrl+C" : "Copy"}
      </span>
    </button>
  );
}
