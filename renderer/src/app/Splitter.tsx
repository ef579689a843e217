/**
 * A pane divider (WAI-ARIA window splitter): drag it with the mouse, or focus it and use the
 * arrow keys. `toValue` turns a pointer position into the new value; the owner clamps and keeps it.
 */
import { useRef } from 'react';

export interface SplitterProps {
  label: string;
  orientation: 'vertical' | 'horizontal';
  value: number;
  min: number;
  max: number;
  /** One arrow-key step. */
  step: number;
  /** The value for a pointer at (x, y) in the window. */
  toValue: (x: number, y: number) => number;
  onChange: (v: number) => void;
  /** For aria-valuetext (a share as a percentage, a width in pixels). */
  describe?: (v: number) => string;
}

export function Splitter(props: SplitterProps) {
  const dragging = useRef(false);
  const clamp = (v: number) => Math.min(props.max, Math.max(props.min, v));
  const back = props.orientation === 'vertical' ? 'ArrowLeft' : 'ArrowUp';
  const forward = props.orientation === 'vertical' ? 'ArrowRight' : 'ArrowDown';
  return (
    <div
      role="separator"
      aria-label={props.label}
      aria-orientation={props.orientation}
      aria-valuenow={Math.round(props.value * 100) / 100}
      aria-valuemin={props.min}
      aria-valuemax={props.max}
      aria-valuetext={props.describe?.(props.value)}
      tabIndex={0}
      className={`splitter splitter-${props.orientation}`}
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        e.preventDefault();
        e.currentTarget.setPointerCapture(e.pointerId);
        dragging.current = true;
      }}
      onPointerMove={(e) => {
        if (dragging.current) props.onChange(clamp(props.toValue(e.clientX, e.clientY)));
      }}
      onPointerUp={(e) => {
        dragging.current = false;
        e.currentTarget.releasePointerCapture(e.pointerId);
      }}
      onKeyDown={(e) => {
        if (e.key !== back && e.key !== forward) return;
        e.preventDefault();
        e.stopPropagation();
        props.onChange(clamp(props.value + (e.key === forward ? props.step : -props.step)));
      }}
    />
  );
}
