import { BoundedLabels, OTHER_LABEL } from './bounded-labels';

describe('BoundedLabels', () => {
  it('keeps values up to the budget and folds later new ones into "other"', () => {
    const labels = new BoundedLabels(2);
    expect(labels.label('openai')).toBe('openai');
    expect(labels.label('polygon')).toBe('polygon');
    expect(labels.label('finnhub')).toBe(OTHER_LABEL);
    expect(labels.label('openai')).toBe('openai');
  });
});
