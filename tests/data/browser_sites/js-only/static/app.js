// Builds the whole page from the inline JSON: nothing useful is in the HTML itself.
(function () {
  var app = document.getElementById('app');
  var menu = [{title: 'Главная', url: '/'}, {title: 'Контакты', url: '/contacts/'}];
  var nav = document.createElement('nav');
  menu.forEach(function (item) {
    var a = document.createElement('a');
    a.href = item.url;
    a.textContent = item.title;
    nav.appendChild(a);
    nav.appendChild(document.createTextNode(' '));
  });
  app.appendChild(nav);
  var data = document.getElementById('page');
  var page = data ? JSON.parse(data.textContent) : {
    h1: 'Городская больница № 7',
    lines: ['Добро пожаловать на официальный сайт ГБУЗ «Городская больница № 7».',
            'Мы оказываем первичную и специализированную медицинскую помощь жителям района.']
  };
  var h1 = document.createElement('h1');
  h1.textContent = page.h1;
  app.appendChild(h1);
  page.lines.forEach(function (line) {
    var p = document.createElement('p');
    p.textContent = line;
    app.appendChild(p);
  });
})();
